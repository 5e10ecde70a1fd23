"""Train: turn the knobs, press Train, watch the cost fall."""

import streamlit as st

from ssnn_app import (
    commands,
    fig_train,
    history_log,
    live,
    livepanel,
    modelfiles,
    navigation,
    pagekit,
    readmodel,
    scrollto,
    settings,
    sharelink,
    teacher,
    widgets,
)
from ssnn_app.i18n import _, ngettext
from ssnn_app.pagesetup import setup_page

setup_page("Train", ":material/model_training:")
st.title(_("Train the network"))


def save_and_share_ui(run, active: bool, flags) -> None:
    st.subheader(_("Save and share"))
    c1, c2, c3 = st.columns(3)
    if "upload" not in flags.hidden:
        if active:
            c1.caption(_("The model and its history can be downloaded once the run is paused or finished."))
        elif run is not None:
            view = readmodel.view_of(run)
            c1.download_button(_("Download model (.npz)"), readmodel.model_bytes(view), "ssnn-model.npz",
                               "application/octet-stream", key="dl_model", on_click="ignore")
            if view.history.iteration:
                c2.download_button(_("Download history (CSV)"), readmodel.history_file(view), "ssnn-history.csv",
                                   "text/csv", key="dl_history", on_click="ignore")
    if "share" not in flags.hidden:
        with c3.popover(_("Share these settings")):
            st.caption(_("This link opens ssnn with the same settings (copy button on the right):"))
            sharelink.share_ui(settings.share_link(), key="train_share")
    if "upload" in flags.hidden:
        return
    uploaded = st.file_uploader(_("Inspect a saved model (.npz)"), type=["npz"], key="model_upload",
                                max_upload_size=8)
    if uploaded is not None and st.session_state.get("_uploaded_seen") != uploaded.file_id:
        st.session_state["_uploaded_seen"] = uploaded.file_id
        problem = modelfiles.load_uploaded_model(uploaded)
        if problem:
            st.session_state["upload_problem"] = problem
        else:
            st.session_state.pop("upload_problem", None)
            st.rerun()
    if st.session_state.get("upload_problem"):
        st.error(_("Model not loaded, the current one is kept: {problem}").format(
            problem=st.session_state["upload_problem"]))


hyper = widgets.settings_ui()
commands.prepare(hyper)  # the training process standardises these digits now, not at the click

pagekit.require_pair(hyper.digits, "data_upload")

if st.session_state.pop("autostart", False):
    commands.train(hyper)
run = commands.current_run()
if run is not None and run.origin != "uploaded" and not run.compatible(hyper):
    st.info(_("The network or data settings changed: **Train** or **Reset** starts a new network "
              "(the one below was trained with the old settings)."))
elif (note := modelfiles.note(run, hyper)) is not None:   # an uploaded model Train and Step will not carry on
    st.info(note)


def _step(n: int) -> None:
    hyper = commands.step(n, settings.current())
    if settings.in_ui_range(hyper):  # (steps past the slider's end leave the slider where it is)
        settings.use(hyper)


def transport_ui(active: bool) -> None:
    """One row of buttons that wraps on a narrow screen (columns would stack them six deep on a phone)."""
    row = st.container(horizontal=True, vertical_alignment="center")
    cols = [row.empty() for _ in range(6)]            # in this order; Step N's label needs N, read first
    cols[0].button(_("▶ Train"), type="primary", on_click=lambda: commands.train(settings.current()),
                   disabled=active, key="b_train",
                   help=_("Train to the set number of iterations (continues a paused run)."))
    cols[1].button(_("❚❚ Pause"), on_click=commands.pause, disabled=not active, key="b_pause")
    cols[2].button(_("Step {n}").format(n=1), on_click=_step, args=(1,), disabled=active, key="b_step1")
    n = cols[4].number_input("N", 1, 1000, 10, key="w_step_n", label_visibility="collapsed", width=130)
    cols[3].button(_("Step {n}").format(n=n), on_click=_step, args=(int(n),), disabled=active, key="b_stepn")
    cols[5].button(_("↺ Reset"), on_click=lambda: commands.reset(settings.current()), key="b_reset",
                   help=_("Back to the initial weights of the current settings."))


def open_image(page: str, index: int, view) -> None:
    """Open test image `index` of this run on Mistakes (its why-panel) or Data (what standardising does to it)."""
    ss = st.session_state
    if page == "pages/4_Mistakes.py":
        ss["inspect_image"] = (view.key[0], index)       # as a click on Hidden space does
        ss["_inspect_fresh"] = True
        ss["w_mistake"] = index
        scrollto.request("why")                          # Mistakes opens scrolled to its why-panel
    else:
        ss["data_split"], ss["data_index"] = "test", index
    st.switch_page(page)


def blank_ink_ui(run, view) -> None:
    """The article's run: say, where the test cost explodes, that one image is why (ssnn's own finding,
    told in full on Data and Mistakes), with a link to it."""
    note = live.blank_ink(run, view)
    if note is None:
        return
    first = note.images[0]
    images = ", ".join(f"#{i}" for i in note.images[:5]) + (" …" if len(note.images) > 5 else "")
    st.warning(ngettext(
        "**Why the test cost explodes:** test image {images} has ink on pixels that are blank in every training "
        "image. Their training standard deviation is 0, and the article's scaling divides by std + 1e-9, so that "
        "ink becomes about {value:.2g} standard units: it alone makes {share:.4g} % of the test cost {cost:.3g}. "
        "Without it, the test cost is {rest:.3g}. With the safe scaling (std 0 replaced by 1) it is not a problem.",
        "**Why the test cost explodes:** test images {images} have ink on pixels that are blank in every training "
        "image. Their training standard deviation is 0, and the article's scaling divides by std + 1e-9, so that "
        "ink becomes about {value:.2g} standard units: they alone make {share:.4g} % of the test cost {cost:.3g}. "
        "Without them, the test cost is {rest:.3g}. With the safe scaling (std 0 replaced by 1) they are not a "
        "problem.", len(note.images)).format(images=images, value=note.value, share=100 * note.share,
                                            cost=note.cost, rest=note.rest), icon=":material/warning:")
    c1, c2, _rest = st.columns([3, 3, 2])
    if navigation.visible("pages/4_Mistakes.py") and c1.button(
            _("See test image #{index} on Mistakes").format(index=first), key="b_blank_mistakes",
            icon=":material/search_insights:", help=_("Why the network answers what it does for this image")):
        open_image("pages/4_Mistakes.py", first, view)
    if (navigation.visible("pages/1_Data.py") and run.hyper.digits == settings.current().digits
            and c2.button(_("See test image #{index} on Data").format(index=first), key="b_blank_data",
                          icon=":material/dataset:", help=_("What standardisation does to this image"))):
        open_image("pages/1_Data.py", first, view)


# One read of the run's state, drawn everywhere below: the training process replaces it meanwhile, and a
# run that stopped between two reads left the stopped chart without its results (issue #15, item 12).
state = run.state if run is not None else None
active = state is not None and state.status.active
transport_ui(active)
log_y = st.toggle(_("Log-scale cost"), value=True, key="w_log")
livepanel.show(run, log_y, hyper.iterations, "cost_chart", state)

if (problem := live.problem(run, state)) is not None:
    st.error(problem)

view = readmodel.view_of(run) if state is not None and state.iteration > 0 and not active else None
if view is not None and view.evaluation is not None:
    blank_ink_ui(run, view)
    ev = view.evaluation
    st.subheader(_("Result on the test set"))
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(_("Test error rate"), f"{100 * ev.error_rate:.3f} %")
    c2.metric(_("Misclassified"), _("{errors} of {total:,}").format(errors=ev.errors, total=ev.labels.size))
    h = view.history
    c3.metric(_("Final train cost"), f"{h.train_cost[-1]:.6f}" if h.train_cost else "–",
              help=_("The cost iteration {iteration} saw, before its update (as the article prints it); "
                     "How it works shows the cost of the parameters after it.").format(
                  iteration=h.iteration[-1] if h.iteration else 0))
    c4.metric(_("Test accuracy"), f"{100 * (1 - ev.error_rate):.2f} %")
    left, right = st.columns([1, 2])
    left.plotly_chart(live.confusion_figure(run, view), key="confusion")
    right.markdown(_("Rows are the true digit, columns what the network said. "
                     "The **Mistakes** page shows every misclassified digit and why.") if view.digit_words else
                   _("Rows are the true class, columns what the network said. "
                     "The **Mistakes** page shows every misclassified image and why."))
    if navigation.visible("pages/4_Mistakes.py"):
        right.page_link("pages/4_Mistakes.py", label=_("See the mistakes"), icon=":material/search_insights:")

finished = history_log.finished()
if len(finished) > 1:
    st.subheader(_("Compare runs"))
    st.plotly_chart(fig_train.compare_figure(finished, log_y), key="compare")

flags = teacher.current()
if not {"share", "upload"} <= flags.hidden:
    save_and_share_ui(run, active, flags)
