"""Entry point: page config, navigation and the shared sidebar. Nothing else."""

import streamlit as st

from lib import ui
from lib.i18n import t

ui.choose_language()
st.set_page_config(page_title=t("app.title"), page_icon="🌾", layout="wide")

pages = [
    st.Page("views/overview_page.py", title=t("nav.overview"), icon="📊", default=True),
    st.Page("views/map_page.py", title=t("nav.map"), icon="🗺️", url_path="map"),
    st.Page("views/industry_page.py", title=t("nav.industry"), icon="🌱", url_path="industry"),
    st.Page("views/training_page.py", title=t("nav.training"), icon="🎓", url_path="training"),
    st.Page("views/updates_page.py", title=t("nav.updates"), icon="📝", url_path="updates"),
    st.Page("views/village_page.py", title=t("nav.village"), icon="🏘️", url_path="village"),
]
navigation = st.navigation(pages)
ui.sidebar()
navigation.run()
