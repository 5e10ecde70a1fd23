"""The cost chart of a run, live while it trains: shared by the Train page and the lesson.

While the run trains, a fragment redraws what the training process published as one element (the status
line over a light SVG chart, made once per run state for every session watching), at the pace
live.redraw_seconds() sets. Once the run stops, the page has no self-rerunning fragment left (a redraw
tick still on its way is dropped), and the interactive Plotly chart is drawn instead.

The run's state is replaced by another thread whenever the training process publishes, so each drawing
reads it once and draws only that: a page that passes the state it decided from (the Train page: results
below, or not) gets a panel that agrees with it. Read twice, a run that stopped between the two reads left
a page with the stopped chart, no results and nothing to redraw it (issue #15, item 12).
"""

from __future__ import annotations

import streamlit as st

from . import commands, live
from .i18n import _


def show(run, log_y: bool, target: int, chart_key: str, state=None) -> None:
    """state: the state of `run` the page draws the rest from (default: read here, once)."""
    s = state if state is not None or run is None else run.state
    if s is not None and s.status.active:
        interval = live.redraw_seconds()

        @st.fragment(run_every=interval)
        def live_panel() -> None:
            now = commands.current_run()
            s_now = None if now is None else now.state        # one read per redraw
            if s_now is None or not s_now.status.active:
                st.rerun()  # the whole page: results, buttons, and no more ticks
            if not 0.5 < live.redraw_seconds() / interval < 2:
                st.rerun()  # many more (or fewer) sessions watch now: redraw at the pace that suits them
            st.markdown(live.live_view(now, log_y, s_now), unsafe_allow_html=True)

        live_panel()
        return
    st.markdown(live.status_line(run, s))
    st.plotly_chart(live.cost_figure(run, log_y, target, s), key=chart_key)
    if s is None or not s.history.iteration:
        st.caption(_("The cost curve is drawn here, live, once training starts."))
