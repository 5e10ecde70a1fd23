"""The dashboard's pages, and which of them a session may see (a teacher's link may show only some)."""

from __future__ import annotations

import streamlit as st

from . import board, teacher

# (teacher-link key, file, title, icon, navigation section)
PAGES = [
    ("home", "pages/0_Home.py", "Home", "🧠", ""),
    ("lesson", "pages/12_Lesson.py", "Lesson", ":material/school:", ""),
    ("data", "pages/1_Data.py", "Data", "📊", ""),
    ("train", "pages/2_Train.py", "Train", "🏋️", ""),
    ("weights", "pages/3_Weights.py", "Weights", "🔬", ""),
    ("mistakes", "pages/4_Mistakes.py", "Mistakes", "🔍", ""),
    ("how", "pages/5_How_it_works.py", "How it works", "🧮", ""),
    ("tryit", "pages/6_Try_it.py", "Try it", "✍️", ""),
    ("landscape", "pages/7_Landscape.py", "Landscape", ":material/landscape:", "Inside the network"),
    ("hidden", "pages/8_Hidden_space.py", "Hidden space", ":material/scatter_plot:", "Inside the network"),
    ("flip", "pages/9_Flip_it.py", "Flip it", ":material/swap_horiz:", "Inside the network"),
    ("knockout", "pages/10_Knock_out.py", "Knock out", ":material/block:", "Inside the network"),
    ("board", "pages/11_Class_board.py", "Class board", ":material/leaderboard:", "Class"),
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
    for k, (_, path, title, icon, section) in enumerate(shown):
        sections.setdefault(section, []).append(st.Page(path, title=title, icon=icon, default=k == 0))
    return sections
