"""Models brought in by a learner: an uploaded .npz, checked before it replaces anything, then this
session's run. Train and Step carry it on from where the file left it (commands.continues); when they
cannot, `note` says so on the Train page before anything is pressed."""

from __future__ import annotations

from ssnn_core import Hyper, ModelFileError, load_model
from ssnn_core.model_io import MAX_MODEL_BYTES

from . import classes, commands, i18n, runs, settings, words
from .i18n import _


def load_uploaded_model(uploaded) -> str | None:
    """Install an uploaded model as this session's; on any problem keep everything and return why."""
    if uploaded.size > MAX_MODEL_BYTES:
        return _("{name} is {mb:.1f} MB; an ssnn model is at most 8 MB").format(name=uploaded.name,
                                                                             mb=uploaded.size / 2**20)
    try:
        model = load_model(uploaded.getvalue())
    except ModelFileError as exc:
        return _("{name}: {reason}").format(name=uploaded.name, reason=i18n.error_text(exc))
    commands.install_model(model)
    sliders = on_the_sliders(model.hyper)
    if sliders is not None:   # else (e.g. 5 hidden neurons) the sliders stay as they are
        settings.use(sliders)
    return None


def on_the_sliders(hyper: Hyper) -> Hyper | None:
    """`hyper` as the sidebar can show it: a number of iterations or a learning rate beyond the sliders'
    ends at the end (they do not decide which network it is: Train and Step still carry it on); None
    if what it is (its number of hidden neurons) is beyond them."""
    (it_lo, it_hi), (lr_lo, lr_hi) = settings.UI_ITERATIONS, settings.UI_LR
    shown = hyper.replace(iterations=min(max(hyper.iterations, it_lo), it_hi),
                          learning_rate=min(max(hyper.learning_rate, lr_lo), lr_hi))
    return shown if settings.in_ui_range(shown) else None


def note(run: runs.Run | None, hyper: Hyper) -> str | None:
    """What the Train page says above an uploaded model, before anything is pressed: why Train and Step
    will start a new network (with `hyper`, the settings on the left) instead of carrying it on, or that
    its file had no history; None when they carry it on and its history is there."""
    if run is None or run.origin != "uploaded":
        return None
    anew = _("**Train** or **Step** starts a new network with the settings on the left instead; your file "
             "is not changed.")
    if run.held == runs.NO_DATA:
        a, b = run.names()
        return _("This session's data set has no images of classes {a} and {b}, so the uploaded model can "
                 "be looked at but not tested or trained on here. {anew}").format(a=a, b=b, anew=anew)
    if run.held == runs.OTHER_DATA:
        return _("The uploaded model was trained on other images than this session's {dataset} (its "
                 "standardisation differs), so it is not trained on here. {anew}").format(
            dataset=classes.dataset_name(), anew=anew)
    if run.held == runs.NOT_ITS_START:
        return _("The uploaded model is untrained but its weights are not its seed's initial ones, and "
                 "training starts from those. {anew}").format(anew=anew)
    if not commands.continues(run, hyper):
        h = run.hyper
        if on_the_sliders(h) is None:
            return _("The uploaded model has {n1} hidden neurons, fewer than the slider offers ({lo} to {hi}): "
                     "it can be looked at here, but not trained on. {anew}").format(
                n1=h.hidden, lo=settings.UI_HIDDEN[0], hi=settings.UI_HIDDEN[1], anew=anew)
        a, b = run.names()
        text = (_("The settings on the left are not the uploaded model's (digits {a}/{b}, {n1} hidden neurons, "
                  "seed {seed}, {dtype}, scaling {scaling}). {anew} Set them back to carry the model on.")
                if words.digit_names((a, b)) else
                _("The settings on the left are not the uploaded model's (classes {a}/{b}, {n1} hidden neurons, "
                  "seed {seed}, {dtype}, scaling {scaling}). {anew} Set them back to carry the model on."))
        return text.format(a=a, b=b, n1=h.hidden, seed=h.seed, dtype=h.dtype, scaling=h.scaling, anew=anew)
    if run.state.iteration and not run.state.history.iteration:
        return _("This model file holds no history of its training (older ssnn files do not), so its cost "
                 "curve starts with the next step. **Train** and **Step** carry the model on.")
    return None
