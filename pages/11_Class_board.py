"""Class board: the runs that ended on this server recently, so a class sees who found the best settings."""

import time

import streamlit as st

from ssnn_app import board, commands, fig_board, words
from ssnn_app.i18n import N_, _, ngettext
from ssnn_app.pagesetup import setup_page

setup_page("Class board", ":material/leaderboard:")
st.title(_("Class board: every run that ended here"))
REFRESH_S = 5.0          # seconds between redraws of the board while it is open
SORTS = {"test error %": N_("lowest test error"), "ended": N_("newest"), "learning rate": N_("learning rate"),
         "hidden n1": N_("hidden neurons")}


def board_ui() -> None:
    entries = commands.board().entries()
    if not entries:
        st.info(_("No run has ended on this server yet. Train one on the Train page: it appears here when it ends, "
                  "for everyone on this server to see."), icon=":material/hourglass_empty:")
        return
    done = [e for e in entries if e.status == "done" and e.test_error is not None]
    best = min(done, key=lambda e: (e.test_error, e.train_cost or 0.0)) if done else None
    if best is not None:
        st.success(_("**Best so far:** {error:.3f} % test error with learning rate "
                     "{lr:g}, {n1} hidden neurons, {iterations} iterations "
                     "(seed {seed}, {a} vs {b}).").format(
            error=100 * best.test_error, lr=best.learning_rate, n1=best.hyper.hidden, iterations=best.iterations,
            seed=best.hyper.seed, a=best.names()[0], b=best.names()[1]))
    st.plotly_chart(fig_board.board_figure(entries), key="board_chart")
    rows = [e.row(time.time()) for e in entries]
    sort = st.session_state.get("w_board_sort", "test error %")
    if sort != "ended":                       # entries come newest first; the other orders are by value
        rows.sort(key=lambda r: (r[sort] is None, r[sort] if r[sort] is not None else 0))
    # the rows' keys (English) sort; the table shows them in the session's language (board.COLUMNS)
    columns = dict(board.COLUMNS)
    if not all(words.digit_names(e.names()) for e in entries):      # some runs tell other classes apart
        columns["digits"] = N_("classes")
    st.dataframe([{_(columns[k]): v for k, v in r.items()} for r in rows], hide_index=True, key="board_table",
                 column_config={_(board.COLUMNS["test error %"]): st.column_config.NumberColumn(format="%.3f"),
                                _(board.COLUMNS["final train cost"]): st.column_config.NumberColumn(format="%.4g"),
                                _(board.COLUMNS["test cost"]): st.column_config.NumberColumn(format="%.4g"),
                                _(board.COLUMNS["learning rate"]): st.column_config.NumberColumn(format="%g")})
    st.caption(ngettext(
        "{n} run (the latest {size} are kept). Only settings and results are shown: no names, nothing anyone typed. "
        "Runs trained with identical settings are trained once and appear once. Click a column's header to sort by it.",
        "{n} runs (the latest {size} are kept). Only settings and results are shown: no names, nothing anyone typed. "
        "Runs trained with identical settings are trained once and appear once. Click a column's header to sort by it.",
        len(entries)).format(n=len(entries), size=board.BOARD_SIZE))


if not board.enabled():
    st.info(_("The class board is turned off on this server (SSNN_CLASS_BOARD=off)."))
    st.stop()
st.markdown(_("Each dot is a run someone on this server trained to the end: its learning rate across, its test error "
              "up, its colour the number of hidden neurons. It updates by itself while people train. A teacher can ask "
              "*who found the best learning rate?* and everyone sees the answer."))
st.radio(_("Order the table by"), list(SORTS), format_func=lambda k: _(SORTS[k]), horizontal=True, key="w_board_sort")
st.fragment(run_every=REFRESH_S)(board_ui)()
