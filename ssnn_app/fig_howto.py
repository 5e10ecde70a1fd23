"""The How it works page's computations and figures: pure functions, NumPy in, Plotly out, no Streamlit.

Shapes as in ssnn_core.network: X (n0, m), Y (1, m), W1 (n1, n0), b1 (n1, 1), W2 (1, n1), b2 (1, 1).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from ssnn_core.network import N0, PARAM_NAMES, backward, cost_from_logits, forward, n_params

from . import words
from .i18n import N_, _

# The stages' English names are keys (equations(), the page's notes); show them with _(stage).
STAGES = (N_("Forward"), N_("Cost"), N_("Backward"), N_("Update"))
CLASS_COLOURS = ("#1f77b4", "#ff7f0e")
HEAD = 50  # samples shown in the heatmaps of Z1, A1, dZ1


# ------------------------------------------------------------------ the maths, with numbers


def shapes(n1: int, m: int, n0: int = N0) -> dict[str, tuple[int, int]]:
    """Every array of one iteration and its shape."""
    return {"X": (n0, m), "Y": (1, m), "W1": (n1, n0), "b1": (n1, 1), "Z1": (n1, m), "A1": (n1, m),
            "W2": (1, n1), "b2": (1, 1), "Z2": (1, m), "A2": (1, m), "dZ2": (1, m), "dW2": (1, n1),
            "db2": (1, 1), "dZ1": (n1, m), "dW1": (n1, n0), "db1": (n1, 1)}


# The tables' column names are their rows' keys (English, as the tests and column_config use them):
# show a column as _(name), e.g. st.column_config.Column(_(name)).
SHAPE_COLUMNS = (N_("array"), N_("shape"), N_("numbers"))
UPDATE_COLUMNS = (N_("parameter"), "|W|", "|dW|", "|ΔW| = α|dW|", N_("max |ΔW|"), "|ΔW| / |W|")
GRADCHECK_COLUMNS = (N_("parameter"), N_("index"), N_("backprop"), N_("numeric"), N_("relative error"),
                     N_("crosses ReLU kink"), N_("pixel blank in every image"))


def shape_rows(n1: int, m: int, n0: int = N0) -> list[dict]:
    """Rows for a table of the parameters: name, shape, how many numbers. The keys stay English (show them
    with _(key), as SHAPE_COLUMNS marks them); the last row's "total" is in the current language."""
    s = shapes(n1, m, n0)
    rows = [{"array": k, "shape": str(s[k]), "numbers": s[k][0] * s[k][1]} for k in PARAM_NAMES]
    rows.append({"array": _("total"), "shape": "", "numbers": n_params(n1, n0)})
    return rows


def _num(n: int) -> str:
    """12665 -> 12\\,665 in LaTeX (a thin space groups thousands; a comma would read as a separator)."""
    return f"{n:,}".replace(",", r"\,")


def _sh(shape: tuple[int, int]) -> str:
    return rf"({_num(shape[0])},\ {_num(shape[1])})"


def equations(n1: int, m: int, n0: int = N0) -> dict[str, list[tuple[str, str]]]:
    """LaTeX for each stage: (equation, its shapes) pairs in the article's notation."""
    s = {k: _sh(v) for k, v in shapes(n1, m, n0).items()}
    one_number, same_shapes = _("a single number;"), _("same shapes as the parameters, for")
    return {
        "Forward": [
            (r"Z^{[1]} = W^{[1]} X + b^{[1]}", rf"{s['Z1']} = {s['W1']}\,{s['X']} + {s['b1']}"),
            (r"A^{[1]} = \mathrm{ReLU}(Z^{[1]}) = \max(Z^{[1]}, 0)", s["A1"]),
            (r"Z^{[2]} = W^{[2]} A^{[1]} + b^{[2]}", rf"{s['Z2']} = {s['W2']}\,{s['A1']} + {s['b2']}"),
            (r"A^{[2]} = \sigma(Z^{[2]}) = \frac{1}{1 + e^{-Z^{[2]}}}", s["A2"]),
        ],
        "Cost": [
            (r"J = -\frac{1}{m} \sum_{i=1}^{m} \left[ y_i \log a_i + (1 - y_i) \log(1 - a_i) \right]",
             rf"\text{{{one_number} }} m = {_num(m)}"),
        ],
        "Backward": [
            (r"dZ^{[2]} = \frac{1}{m}\,(A^{[2]} - Y)", s["dZ2"]),
            (r"dW^{[2]} = dZ^{[2]}\, (A^{[1]})^T", rf"{s['dW2']} = {s['dZ2']}\,{_sh((m, n1))}"),
            (r"db^{[2]} = \sum_{i} dZ^{[2]}_i", s["db2"]),
            (r"dZ^{[1]} = (W^{[2]})^T dZ^{[2]} \odot g'(Z^{[1]})",
             rf"{s['dZ1']} = {_sh((n1, 1))}\,{s['dZ2']} \odot {s['Z1']}"),
            (r"dW^{[1]} = dZ^{[1]}\, X^T", rf"{s['dW1']} = {s['dZ1']}\,{_sh((m, n0))}"),
            (r"db^{[1]} = \sum_{i} dZ^{[1]}_{:,i}", s["db1"]),
        ],
        "Update": [
            (r"W^{[l]} := W^{[l]} - \alpha\, dW^{[l]},\quad b^{[l]} := b^{[l]} - \alpha\, db^{[l]}",
             rf"\text{{{same_shapes} }} l = 1, 2"),
        ],
    }


# ------------------------------------------------------------------ one iteration, step by step


@dataclass(frozen=True)
class StepResult:
    """One iteration of full-batch gradient descent, kept small enough to hold in a session.

    z1_head, a1_head, dz1_head: (n1, k) the first k samples; z2, a2, y, losses: (m,);
    grads: dW1 (n1, n0), db1 (n1, 1), dW2 (1, n1), db2 (1, 1); norms, delta_norms, param_norms: per name."""

    n1: int
    m: int
    learning_rate: float
    z1_head: np.ndarray
    a1_head: np.ndarray
    dz1_head: np.ndarray
    z2: np.ndarray
    a2: np.ndarray
    y: np.ndarray
    losses: np.ndarray
    active_fraction: float
    dead_neurons: int
    cost: float
    accuracy: float
    grads: dict
    grad_norms: dict
    param_norms: dict
    delta_norms: dict
    delta_max: dict
    new_cost: float
    new_accuracy: float

    @property
    def dz2(self) -> np.ndarray:
        return (self.a2 - self.y) / self.m


def updated(params: dict, grads: dict, learning_rate: float) -> dict:
    """New parameters W - alpha dW, in the parameters' dtype, as the trainer does it; params untouched."""
    return {k: params[k] - params[k].dtype.type(learning_rate) * grads["d" + k] for k in PARAM_NAMES}


def one_iteration(params: dict, X: np.ndarray, Y: np.ndarray, learning_rate: float, head: int = HEAD) -> StepResult:
    """Forward, cost, backward and update on X (n0, m), Y (1, m); returns what each stage shows.
    The caller's params are never modified."""
    Y = np.asarray(Y).reshape(1, -1).astype(X.dtype)
    m = X.shape[1]
    with np.errstate(over="ignore", invalid="ignore"):
        A2, cache = forward(params, X)
        cost = cost_from_logits(cache["Z2"], Y)
        grads = backward(params, X, Y, cache)
        new = updated(params, grads, learning_rate)
        Z2_new = forward(new, X)[1]["Z2"]
    z2 = cache["Z2"][0].astype(np.float64)
    y = Y[0].astype(np.float64)
    active = cache["Z1"] > 0                                                  # (n1, m)
    return StepResult(
        n1=params["W1"].shape[0], m=m, learning_rate=float(learning_rate),
        z1_head=cache["Z1"][:, :head].copy(), a1_head=cache["A1"][:, :head].copy(),
        dz1_head=((params["W2"].T @ ((A2[:, :head] - Y[:, :head]) / m)) * active[:, :head]),
        z2=z2, a2=A2[0].astype(np.float64), y=y,
        losses=np.logaddexp(0.0, z2) - y * z2,
        active_fraction=float(active.mean()), dead_neurons=int((~active.any(axis=1)).sum()),
        cost=cost, accuracy=float(np.mean((z2 > 0) == (y > 0.5))),
        grads=grads, grad_norms={k: _norm(grads["d" + k]) for k in PARAM_NAMES},
        param_norms={k: _norm(params[k]) for k in PARAM_NAMES},
        delta_norms={k: _norm(new[k] - params[k]) for k in PARAM_NAMES},
        delta_max={k: float(np.max(np.abs(new[k] - params[k]))) for k in PARAM_NAMES},
        new_cost=cost_from_logits(Z2_new, Y), new_accuracy=float(np.mean((Z2_new[0] > 0) == (y > 0.5))),
    )


def _norm(a: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a, dtype=np.float64)))


def update_rows(r: StepResult) -> list[dict]:
    """Per parameter: its size before, the step taken, and the step relative to the size (None if |W| = 0)."""
    return [{"parameter": k, "|W|": r.param_norms[k], "|dW|": r.grad_norms[k], "|ΔW| = α|dW|": r.delta_norms[k],
             "max |ΔW|": r.delta_max[k],
             "|ΔW| / |W|": r.delta_norms[k] / r.param_norms[k] if r.param_norms[k] else None}
            for k in PARAM_NAMES]


def strongest_neuron(grads: dict) -> int:
    """The hidden neuron whose incoming weights get the largest gradient (row of dW1 with the largest norm)."""
    return int(np.argmax(np.linalg.norm(np.asarray(grads["dW1"], dtype=np.float64), axis=1)))


# ------------------------------------------------------------------ gradient check


def gradcheck_rows(results: list[dict]) -> list[dict]:
    """gradient_check's dicts -> table rows: parameter, index, backprop, numeric, relative error (and kink)."""
    rows = []
    for r in results:
        row = {"parameter": r["name"], "index": str(tuple(r["index"])), "backprop": r["analytic"],
               "numeric": r["numeric"], "relative error": r["relative_error"]}
        if "kink" in r:
            row["crosses ReLU kink"] = bool(r["kink"])
        if "blank" in r:
            row["pixel blank in every image"] = bool(r["blank"])
        rows.append(row)
    return rows


def gradcheck_verdict(results: list[dict]) -> tuple[float, int, int, int]:
    """(worst relative error over the checks that count, checks counted, left out at a ReLU kink, left out
    as weights of a pixel no image inks). A check whose ±eps nudge flips a hidden unit across 0 measures two
    slopes at once, not backprop; one of a blank pixel's weight compares 0 with 0 whatever backprop does."""
    kinks = sum(1 for r in results if r.get("kink", False))
    blanks = sum(1 for r in results if r.get("blank", False) and not r.get("kink", False))
    used = [r["relative_error"] for r in results if not r.get("kink", False) and not r.get("blank", False)]
    return (max(used) if used else float("nan")), len(used), kinks, blanks


# ------------------------------------------------------------------ figures


def matrix_heatmap(M: np.ndarray, title: str, diverging: bool = True, zlabel: str | None = None) -> go.Figure:
    """An (n1, k) array: one row per hidden neuron, one column per sample (zlabel: "value" if not given)."""
    M = np.asarray(M, dtype=np.float64)
    zlabel = _("value") if zlabel is None else zlabel
    style = {"colorscale": "RdBu_r", "zmid": 0.0} if diverging else {"colorscale": "Viridis", "zmin": 0.0}
    fig = go.Figure(go.Heatmap(z=M, colorbar={"title": {"text": zlabel}, "exponentformat": "e"},
                               hovertemplate=_("neuron %{y}, sample %{x}: %{z:.4g}<extra></extra>"), **style))
    fig.update_xaxes(title_text=_("sample (first columns of X)"))
    fig.update_yaxes(title_text=_("hidden neuron"), autorange="reversed")
    fig.update_layout(height=int(min(420, max(220, 120 + 6 * M.shape[0]))), title={"text": title, "font": {"size": 14}},
                      margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def class_histogram(values: np.ndarray, y: np.ndarray, digits: tuple[int, int], title: str, xlabel: str,
                    bins: int = 60, log_y: bool = True) -> go.Figure:
    """Histogram of per-sample values (m,) split by label; binned with NumPy so the figure stays small."""
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, bins + 1)
    centres, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
    fig = go.Figure()
    for label in (0, 1):
        counts, _edges = np.histogram(values[(np.asarray(y) > 0.5) == bool(label)], bins=edges)
        fig.add_trace(go.Bar(x=centres, y=counts, width=width, name=words.class_label(digits[label]),
                             opacity=0.65, marker_color=CLASS_COLOURS[label],
                             hovertemplate=_("%{x:.3g}: %{y} images<extra></extra>")))
    fig.update_layout(barmode="overlay", height=300, title={"text": title, "font": {"size": 14}},
                      xaxis={"title": xlabel, "exponentformat": "e"},
                      yaxis={"title": _("images"), "type": "log" if log_y else "linear", "dtick": 1 if log_y else None},
                      margin={"l": 10, "r": 10, "t": 60, "b": 10},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"})
    return fig


def norms_figure(norms: dict, title: str, ylabel: str) -> go.Figure:
    """One bar per parameter, log scale (gradients of W1 and b2 differ by orders of magnitude)."""
    names = list(norms)
    vals = [max(float(norms[k]), 1e-300) for k in names]
    fig = go.Figure(go.Bar(x=names, y=vals, text=[f"{v:.3g}" for v in vals], textposition="outside",
                           marker_color="#4c78a8", hovertemplate="%{x}: %{y:.4g}<extra></extra>"))
    fig.update_layout(height=300, title={"text": title, "font": {"size": 14}},
                      yaxis={"title": ylabel, "type": "log", "dtick": 1, "exponentformat": "e"},
                      margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig


def vector_bars(values: np.ndarray, title: str, ylabel: str) -> go.Figure:
    """A per-neuron vector (n1,) as bars, red for positive (votes for label 1) and blue for negative."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    fig = go.Figure(go.Bar(x=np.arange(v.size), y=v, marker_color=np.where(v >= 0, "#d62728", "#1f77b4"),
                           hovertemplate=_("neuron %{x}: %{y:.4g}<extra></extra>")))
    fig.update_layout(height=280, title={"text": title, "font": {"size": 14}}, xaxis_title=_("hidden neuron"),
                      yaxis_title=ylabel, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return fig
