"""Models brought in by a learner: an uploaded .npz, checked before it replaces anything."""

from __future__ import annotations

from ssnn_core import ModelFileError, load_model
from ssnn_core.model_io import MAX_MODEL_BYTES

from . import commands, i18n, settings
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
    if settings.in_ui_range(model.hyper):  # else (e.g. 5 hidden neurons) the sliders stay as they are
        settings.use(model.hyper)
    return None
