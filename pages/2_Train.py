"""Train: turn the knobs, press Train, watch the cost fall."""

import streamlit as st

from ssnn_app import data as app_data
from ssnn_app import fig_train, state, widgets
from ssnn_core.trainer import History

state.setup_page("Train", "🏋️")
st.title("Train the network")
hyper = widgets.settings_ui()
state.prepare_training(hyper)  # the training process standardises these digits now, not at the click

if app_data.pair(hyper.digits) is None:
    st.error(f"No MNIST data: {app_data.missing_reason()}")
    app_data.data_upload_ui()
    st.stop()

if st.session_state.pop("autostart", False):
    state.start_training()
run = state.get_run()
if run is not None and run.status not in ("uploaded",) and not run.compatible(hyper):
    st.info("The network or data settings changed: **Train** or **Reset** starts a new network "
            "(the one below was trained with the old settings).")


def transport_ui(run) -> None:
    running = run is not None and run.status == "running"
    cols = st.columns([1, 1, 1, 1, 1.3, 1])
    cols[0].button("▶ Train", type="primary", on_click=state.start_training, disabled=running, key="b_train",
                   help="Train to the set number of iterations (continues a paused run).")
    cols[1].button("⏸ Pause", on_click=state.pause, disabled=not running, key="b_pause")
    cols[2].button("Step 1", on_click=state.step, args=(1,), disabled=running, key="b_step1")
    n = cols[4].number_input("N", 1, 1000, 10, key="w_step_n", label_visibility="collapsed")
    cols[3].button(f"Step {n}", on_click=state.step, args=(int(n),), disabled=running, key="b_stepn")
    cols[5].button("↺ Reset", on_click=state.reset, key="b_reset",
                   help="Back to the initial weights of the current settings.")


def status_line(run, box) -> None:
    if run is None:
        box.caption("Not trained yet.")
        return
    per = run.ms_per_iteration()
    timing = f" · {per:.1f} ms per iteration" if per else ""
    shared = " · result shared by an identical earlier run (training is deterministic)" if run.from_shared else ""
    if run.others_watching:
        n = run.others_watching
        shared += (f" · {n} other session{'s' if n > 1 else ''} watch{'' if n > 1 else 'es'} this run: "
                   "identical settings are trained once")
    box.markdown(f"**Iteration {run.iteration} / {run.target}** · {run.status} · "
                 f"learning rate {run.current_lr():g}{timing}{shared}")


transport_ui(run)
run = state.get_run()
log_y = st.toggle("Log-scale cost", value=True, key="w_log")


@st.fragment(run_every=state.REDRAW_SECONDS if run is not None and run.status == "running" else None)
def live_panel() -> None:
    """Redraws, ~3 times a second, what the training process has done so far: a light SVG chart while
    it runs, the interactive Plotly chart otherwise (empty before training)."""
    run = state.get_run()
    status_line(run, st)
    h = (run.history_now() if run else None) or History()
    running = run is not None and run.status == "running"
    target = run.target if run is not None else hyper.iterations
    if running:  # light enough to redraw ~3 times a second
        st.markdown(fig_train.live_svg(h, log_y, target), unsafe_allow_html=True)
    else:  # the interactive chart (hover, zoom); drawn empty before training, so that the browser has
        # loaded its chart library by the time the result comes (that cost up to 2.3 s at the result here)
        st.plotly_chart(fig_train.cost_figure(h, log_y, target), key="cost_chart")
    if not h.iteration:
        st.caption("The cost curve is drawn here, live, once training starts.")
    if st.session_state.get("_live") and not running:
        st.session_state["_live"] = False
        st.rerun()  # the whole page: results, buttons, and no more ticks
    st.session_state["_live"] = running


live_panel()

if run is not None and run.status == "diverged":
    st.error(run.trainer.stopped_reason)
if run is not None and run.failure:
    st.error(f"{run.failure}. The model is kept as it was after iteration {run.iteration}.")

view = state.current() if run is not None and run.iteration > 0 and run.status != "running" else None
if view is not None and view.evaluation is not None and run.status in ("done", "paused", "diverged", "uploaded"):
    ev = view.evaluation
    st.subheader("Result on the test set")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Test error rate", f"{100 * ev.error_rate:.3f} %")
    c2.metric("Misclassified", f"{ev.errors} of {ev.labels.size}")
    h = view.history
    c3.metric("Final train cost", f"{h.train_cost[-1]:.6f}" if h and h.train_cost else "–")
    c4.metric("Test accuracy", f"{100 * (1 - ev.error_rate):.2f} %")
    left, right = st.columns([1, 2])
    left.plotly_chart(fig_train.confusion_figure(ev.confusion(), view.hyper.digits), key="confusion")
    right.markdown("Rows are the true digit, columns what the network said. "
                   "The **Mistakes** page shows every misclassified digit and why.")
    right.page_link("pages/4_Mistakes.py", label="See the mistakes", icon="🔍")

finished = st.session_state.get("finished", [])
if len(finished) > 1:
    st.subheader("Compare runs")
    st.plotly_chart(fig_train.compare_figure(finished, log_y), key="compare")

st.subheader("Save and share")
training = run is not None and run.status == "running"
view = state.current() if run is not None and not training else None  # (reading it would pause training)
c1, c2, c3 = st.columns(3)
if training:
    c1.caption("The model and its history can be downloaded once the run is paused or finished.")
if view is not None:
    c1.download_button("Download model (.npz)", state.model_bytes(view), "ssnn-model.npz",
                       "application/octet-stream", key="dl_model", on_click="ignore")
    if view.history is not None and view.history.iteration:
        c2.download_button("Download history (CSV)", state.history_csv(view.history), "ssnn-history.csv",
                           "text/csv", key="dl_history", on_click="ignore")
with c3.popover("Share these settings"):
    st.caption("This link opens ssnn with the same settings (copy button on the right):")
    st.code(state.share_link(), language=None)
uploaded = st.file_uploader("Inspect a saved model (.npz)", type=["npz"], key="model_upload", max_upload_size=8)
if uploaded is not None and st.session_state.get("_uploaded_seen") != uploaded.file_id:
    st.session_state["_uploaded_seen"] = uploaded.file_id
    problem = state.load_uploaded_model(uploaded)
    if problem:
        st.session_state["upload_problem"] = problem
    else:
        st.session_state.pop("upload_problem", None)
        st.rerun()
if st.session_state.get("upload_problem"):
    st.error(f"Model not loaded, the current one is kept: {st.session_state['upload_problem']}")
