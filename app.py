"""ssnn dashboard entry point: `streamlit run app.py`. Each page lives in pages/ and stays thin."""

import streamlit as st

from ssnn_app import board

PAGES = {"": [
    st.Page("pages/0_Home.py", title="Home", icon="🧠", default=True),
    st.Page("pages/1_Data.py", title="Data", icon="📊"),
    st.Page("pages/2_Train.py", title="Train", icon="🏋️"),
    st.Page("pages/3_Weights.py", title="Weights", icon="🔬"),
    st.Page("pages/4_Mistakes.py", title="Mistakes", icon="🔍"),
    st.Page("pages/5_How_it_works.py", title="How it works", icon="🧮"),
    st.Page("pages/6_Try_it.py", title="Try it", icon="✍️"),
], "Inside the network": [
    st.Page("pages/7_Landscape.py", title="Landscape", icon=":material/landscape:"),
    st.Page("pages/8_Hidden_space.py", title="Hidden space", icon=":material/scatter_plot:"),
    st.Page("pages/9_Flip_it.py", title="Flip it", icon=":material/swap_horiz:"),
    st.Page("pages/10_Knock_out.py", title="Knock out", icon=":material/block:"),
]}
if board.enabled():       # a server option (SSNN_CLASS_BOARD=off) takes the board out of the navigation
    PAGES["Class"] = [st.Page("pages/11_Class_board.py", title="Class board", icon=":material/leaderboard:")]

st.navigation(PAGES).run()
