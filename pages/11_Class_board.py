"""Class board: the runs that ended on this server recently, so a class sees who found the best settings."""

import time

import streamlit as st

from ssnn_app import board, commands, fig_board
from ssnn_app.pagesetup import setup_page

setup_page("Class board", ":material/leaderboard:")
st.title("Class board: every run that ended here")
REFRESH_S = 5.0          # seconds between redraws of the board while it is open
SORTS = {"test error %": "lowest test error", "ended": "newest", "learning rate": "learning rate",
         "hidden n1": "hidden neurons"}


def board_ui() -> None:
    entries = commands.board().entries()
    if not entries:
        st.info("No run has ended on this server yet. Train one on the Train page: it appears here when it ends, "
                "for everyone on this server to see.", icon=":material/hourglass_empty:")
        return
    done = [e for e in entries if e.status == "done" and e.test_error is not None]
    best = min(done, key=lambda e: (e.test_error, e.train_cost or 0.0)) if done else None
    if best is not None:
        st.success(f"**Best so far:** {100 * best.test_error:.3f} % test error with learning rate "
                   f"{best.learning_rate:g}, {best.hyper.hidden} hidden neurons, {best.iterations} iterations "
                   f"(seed {best.hyper.seed}, {best.hyper.digits[0]} vs {best.hyper.digits[1]}).")
    st.plotly_chart(fig_board.board_figure(entries), key="board_chart")
    rows = [e.row(time.time()) for e in entries]
    sort = st.session_state.get("w_board_sort", "test error %")
    if sort != "ended":                       # entries come newest first; the other orders are by value
        rows.sort(key=lambda r: (r[sort] is None, r[sort] if r[sort] is not None else 0))
    st.dataframe(rows, hide_index=True, key="board_table",
                 column_config={"test error %": st.column_config.NumberColumn(format="%.3f"),
                                "final train cost": st.column_config.NumberColumn(format="%.4g"),
                                "test cost": st.column_config.NumberColumn(format="%.4g"),
                                "learning rate": st.column_config.NumberColumn(format="%g")})
    st.caption(f"{len(entries)} run{'s' if len(entries) != 1 else ''} (the latest {board.BOARD_SIZE} are kept). "
               "Only settings and results are shown: no names, nothing anyone typed. Runs trained with identical "
               "settings are trained once and appear once. Click a column's header to sort by it.")


if not board.enabled():
    st.info("The class board is turned off on this server (SSNN_CLASS_BOARD=off).")
    st.stop()
st.markdown("Each dot is a run someone on this server trained to the end: its learning rate across, its test error "
            "up, its colour the number of hidden neurons. It updates by itself while people train. A teacher can ask "
            "*who found the best learning rate?* and everyone sees the answer.")
st.radio("Order the table by", list(SORTS), format_func=SORTS.get, horizontal=True, key="w_board_sort")
st.fragment(run_every=REFRESH_S)(board_ui)()
