"""Every log-scale chart labels its decades only (issue: minor ticks labelled '8 7 6 5 4 3 2 0.1 9 8 ...')."""

from __future__ import annotations

import numpy as np

from ssnn_app import fig_train, fig_weights
from ssnn_app.axes import log_axis
from ssnn_core.history import History


def test_log_axis_labels_decades_when_the_values_span_one():
    axis = log_axis("cost", [0.69, 0.0008])
    assert axis["type"] == "log" and axis["dtick"] == 1 and axis["minor"] == {"ticks": "outside"}
    assert "dtick" not in log_axis("cost", [0.69, 0.5])          # within a decade: Plotly's own labels
    assert log_axis("cost", [0.0, np.nan, 0.1, 2.0])["dtick"] == 1  # zeros and NaN (log of them) ignored


def test_train_charts_label_decades():
    h = History([1, 2, 3], [0.69, 0.05, 0.0009], [0.5, 0.9, 1.0], [0.5] * 3, [3], [0.002], [1.0])
    assert fig_train.cost_figure(h, log_y=True, target=3).layout.yaxis.dtick == 1
    assert fig_train.cost_figure(History(), log_y=True, target=500).layout.yaxis.dtick == 1
    assert fig_train.cost_figure(h, log_y=False, target=3).layout.yaxis.type == "linear"
    compare = fig_train.compare_figure([{"iteration": [1, 2], "train_cost": [0.7, 0.001], "label": "a"}])
    assert compare.layout.yaxis.dtick == 1 and compare.layout.yaxis.type == "log"


def test_activation_histogram_labels_decades():
    fig = fig_weights.activation_histogram(np.arange(500.0), np.arange(500) % 2, (0, 1))
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.dtick == 1


def test_learning_rate_stops_are_round_and_apart():
    """No two stops of the learning-rate slider as close as 0.5 and 0.501 (issue #15, item 16)."""
    from ssnn_app.widgets import LR_OPTIONS, _lr_options
    assert LR_OPTIONS[0] == 0.001 and LR_OPTIONS[-1] == 10.0 and {0.5, 0.1, 1.0, 5.0} <= set(LR_OPTIONS)
    ratios = np.array(LR_OPTIONS[1:]) / np.array(LR_OPTIONS[:-1])
    assert ratios.min() > 1.3 and ratios.max() < 2.1
    assert all(len(f"{v:g}") <= 6 for v in LR_OPTIONS)
    assert 0.37 in _lr_options(0.37)                                   # a URL's own value is kept as a stop
