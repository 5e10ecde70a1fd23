"""Every number explained: one hidden neuron's arithmetic for one image, with the numbers plugged in,
then how every neuron's vote adds up to z2 and P. Shared by the Mistakes and Try it why-panels."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ssnn_core.inspect import Explanation, neuron_sum

from .i18n import _, ngettext

TERMS = 4                 # terms written out in a sum; the rest are added up and counted


def _tex(text: str) -> str:
    """'6.4e+10' -> '6.4 \\times 10^{10}': an exponent written as a power, never as '+ 10'."""
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


def _n(v: float, digits: int = 4) -> str:
    return _tex(f"{v:+.{digits}g}")


def _sum(parts: list[tuple[str, float]]) -> str:
    """'a + b - c' from (latex, value) pairs: a term's sign becomes the operator before it."""
    out = []
    for k, (text, value) in enumerate(parts):
        op = ("-" if value < 0 else "") if k == 0 else (" - " if value < 0 else " + ")
        out.append(op + text)
    return "".join(out) or "0"


def _abs(v: float, digits: int = 4) -> str:
    return _tex(f"{abs(v):.{digits}g}")


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
                "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}"}


def _tex_text(name) -> str:
    """A class's name inside \\text{...}: LaTeX's special characters escaped (a folder may be called 'a_b')."""
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in str(name))


def neuron_latex(s) -> str:
    """z1 = sum of W1[j, i] x_i + b1, the largest terms written out, over three aligned lines."""
    top = s.largest(TERMS)
    rest = np.setdiff1d(np.flatnonzero(s.terms), top)
    terms = [(rf"({_n(s.weights[i], 3)})({_n(s.inputs[i], 3)})", 0.0) for i in top]
    line2 = _sum(terms)
    tail = []
    if rest.size:
        total = float(s.terms[rest].sum())
        others = _("{n} other terms").format(n=rest.size)
        tail.append((rf"\underbrace{{{_abs(total)}}}_{{\text{{{others}}}}}", total))
    tail.append((rf"\underbrace{{{_abs(s.b1)}}}_{{b_1[{s.neuron}]}}", s.b1))
    line3 = _sum(tail)
    return (rf"\begin{{aligned}} z_{{1,{s.neuron}}} &= \textstyle\sum_i W_1[{s.neuron},i]\,x_i + b_1[{s.neuron}] \\"
            rf" &= {line2} \\ &\quad {'+' if tail[0][1] >= 0 else ''}{line3} = {_n(s.z1)} \end{{aligned}}")


def votes_latex(e: Explanation, shown: int = TERMS) -> str:
    c = e.contributions
    order = np.argsort(-np.abs(c), kind="stable")
    order = order[c[order] != 0]
    parts = [(rf"\underbrace{{{_abs(float(c[j]))}}}_{{\#{j}}}", float(c[j])) for j in order[:shown]]
    rest = order[shown:]
    if rest.size:
        total = float(c[rest].sum())
        others = ngettext("{n} other", "{n} others", rest.size).format(n=rest.size)
        parts.append((rf"\underbrace{{{_abs(total)}}}_{{\text{{{others}}}}}", total))
    parts.append((rf"\underbrace{{{_abs(e.b2)}}}_{{b_2}}", e.b2))
    silent = c.size - order.size
    note = ""
    if silent:
        words = ngettext("({n} silent neuron add 0)", "({n} silent neurons add 0)", silent).format(n=silent)
        note = rf"\\ &\quad\text{{{words}}}"
    return (rf"\begin{{aligned}} z_2 &= \textstyle\sum_j W_2[j]\,a_{{1,j}} + b_2 \\ &= {_sum(parts)} = {_n(e.z2)}"
            rf"{note} \end{{aligned}}")


def numbers_ui(params: dict, x: np.ndarray, e: Explanation, digits: tuple, key: str) -> None:
    """x: (784,) the standardised image; e: its explanation (explain(params, x)); digits: the two classes'
    names ('0', '1'; 'T-shirt/top', 'Trouser')."""
    st.markdown(_("**Every number, worked out.** Pick a hidden neuron to see its sum with this image's numbers:"))
    order = [int(k) for k in np.argsort(-np.abs(e.contributions), kind="stable")]   # largest vote first
    ss = st.session_state
    if not isinstance(ss.get(key, order[0]), int) or ss.get(key, 0) >= len(order):
        ss.pop(key, None)                               # a value from another network (or a stale label)
    if ss.get(f"_{key}_order") != order:                # another image or model: start at its largest vote
        ss[f"_{key}_order"] = order                     # (a kept pick showed as '#9' while explaining #3)
        ss[key] = order[0]
    j = st.selectbox(_("Hidden neuron (largest vote first)"), order, key=key, format_func=lambda k: f"#{k}")
    j = j if isinstance(j, int) else order[0]
    s = neuron_sum(params, x, j)
    st.caption(_("Neuron #{j}: a1 = {a1:.4g}, vote W2·a1 = {vote:+.4g}.").format(j=j, a1=s.a1, vote=s.vote))
    st.latex(neuron_latex(s))
    st.latex(rf"a_{{1,{j}}} = \mathrm{{relu}}(z_{{1,{j}}}) = \max(0,\ {_n(s.z1)}) = {_n(s.a1)}")
    vote = _("vote")
    st.latex(rf"\text{{{vote}}}_{{{j}}} = W_2[{j}]\cdot a_{{1,{j}}} = ({_n(s.w2)})({_n(s.a1)}) = {_n(s.vote)}")
    if s.a1 == 0:
        st.caption(_("Neuron {j} is silent for this image (z1 ≤ 0), so its vote is 0 "
                     "whatever its output weight.").format(j=j))
    st.markdown(_("Every neuron's vote, added up with the output bias, gives the logit and the probability:"))
    st.latex(votes_latex(e))
    st.latex(rf"P(\text{{{_tex_text(digits[1])}}}) = \sigma(z_2) = \frac{{1}}{{1 + e^{{-z_2}}}} = "
             rf"\frac{{1}}{{1 + e^{{{_n(-e.z2)}}}}} = {_tex(f'{e.proba:.6g}')}")
    st.caption(_("Above 0.5 the network says {b}, otherwise {a}. x_i is pixel i standardised "
                 "(minus the training mean, divided by the training spread); terms with x_i = 0 add nothing.").format(
        a=digits[0], b=digits[1]))
    with st.expander(_("All {n} non-zero terms of neuron {j}'s sum").format(n=np.count_nonzero(s.terms), j=j)):
        idx = np.flatnonzero(s.terms)
        idx = idx[np.argsort(-np.abs(s.terms[idx]), kind="stable")]
        st.dataframe({_("pixel (row, col)"): [f"({i // 28}, {i % 28})" for i in idx],
                      "W1[j, i]": s.weights[idx], "x_i": s.inputs[idx], "W1[j, i]·x_i": s.terms[idx]},
                     hide_index=True, key=f"{key}_terms")
