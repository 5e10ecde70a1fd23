"""ssnn_app: what the Streamlit pages share — cached data, session state and pure figure builders."""
