"""ssnn dashboard entry point: `streamlit run app.py`. Each page lives in pages/ and stays thin."""

import streamlit as st

from ssnn_app import i18n
from ssnn_app.navigation import sections

i18n.start()                                   # this session's language (and its switch), before any title
st.navigation(sections(), expanded=True).run()   # every page listed (no "View more" after ten)
