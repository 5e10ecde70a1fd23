"""The dashboard's pages, and which of them a session may see (a teacher's link may show only some)."""

from __future__ import annotations

import streamlit as st

from . import board, teacher
from .i18n import N_, _

# (teacher-link key, file, title, icon, navigation section)
PAGES = [
    ("home", "pages/0_Home.py", N_("Home"), ":material/home:", ""),
    ("lesson", "pages/12_Lesson.py", N_("Lesson"), ":material/school:", ""),
    ("data", "pages/1_Data.py", N_("Data"), ":material/dataset:", ""),
    ("train", "pages/2_Train.py", N_("Train"), ":material/model_training:", ""),
    ("weights", "pages/3_Weights.py", N_("Weights"), ":material/grid_view:", ""),
    ("mistakes", "pages/4_Mistakes.py", N_("Mistakes"), ":material/search_insights:", ""),
    ("how", "pages/5_How_it_works.py", N_("How it works"), ":material/function:", ""),
    ("tryit", "pages/6_Try_it.py", N_("Try it"), ":material/draw:", ""),
    ("landscape", "pages/7_Landscape.py", N_("Landscape"), ":material/landscape:", N_("Inside the network")),
    ("hidden", "pages/8_Hidden_space.py", N_("Hidden space"), ":material/scatter_plot:", N_("Inside the network")),
    ("flip", "pages/9_Flip_it.py", N_("Flip it"), ":material/swap_horiz:", N_("Inside the network")),
    ("knockout", "pages/10_Knock_out.py", N_("Knock out"), ":material/block:", N_("Inside the network")),
    ("board", "pages/11_Class_board.py", N_("Class board"), ":material/leaderboard:", N_("Class")),
]


def _allowed(key: str) -> bool:
    return teacher.current().shows(key) and (key != "board" or board.enabled())


def visible(path: str) -> bool:
    """May this session open the page in file `path` (it is in its navigation)? Links check first."""
    return any(p[1] == path and _allowed(p[0]) for p in PAGES)


def sections() -> dict:
    """The pages this session may see: a teacher's link may show only some (`?pages=`), and a server
    option (SSNN_CLASS_BOARD=off) takes the class board out. The first page shown is the default."""
    shown = [p for p in PAGES if _allowed(p[0])] or PAGES[:1]
    sections: dict = {}
    for k, (_key, path, title, icon, section) in enumerate(shown):
        sections.setdefault(_(section) if section else "", []).append(
            st.Page(path, title=_(title), icon=icon, default=k == 0))
    return sections
