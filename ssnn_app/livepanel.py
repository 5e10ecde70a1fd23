"""The cost chart of a run, live while it trains: shared by the Train page and the lesson.

While the run trains, a fragment redraws what the training process published as one element (the status
line over a light SVG chart, made once per run state for every session watching), at the pace
live.redraw_seconds() sets. Once the run stops, the page has no self-rerunning fragment left (a redraw
tick still on its way is dropped), and the interactive Plotly chart is drawn instead.
"""

from __future__ import annotations

import streamlit as st

from . import commands, live
from .i18n import _


def show(run, log_y: bool, target: int, chart_key: str) -> None:
    if run is not None and run.status.active:
        interval = live.redraw_seconds()

        @st.fragment(run_every=interval)
        def live_panel() -> None:
            now = commands.current_run()
            if now is None or not now.status.active:
                st.rerun()  # the whole page: results, buttons, and no more ticks
            if not 0.5 < live.redraw_seconds() / interval < 2:
                st.rerun()  # many more (or fewer) sessions watch now: redraw at the pace that suits them
            st.markdown(live.live_view(now, log_y), unsafe_allow_html=True)

        live_panel()
        return
    st.markdown(live.status_line(run))
    st.plotly_chart(live.cost_figure(run, log_y, target), key=chart_key)
    if run is None or not run.state.history.iteration:
        st.caption(_("The cost curve is drawn here, live, once training starts."))
