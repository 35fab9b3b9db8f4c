"""Entry point: page config, navigation and the shared sidebar. Nothing else."""

import streamlit as st

from lib import ui
from lib.i18n import t
from lib.ui import presentation

ui.choose_language()
st.set_page_config(
    page_title=t("app.title"),
    page_icon="🌾",
    layout="wide",
    initial_sidebar_state="collapsed" if ui.presenting() else "auto",
)

pages = [
    st.Page("views/overview_page.py", title=t("nav.overview"), icon="📊", default=True),
    st.Page("views/map_page.py", title=t("nav.map"), icon="🗺️", url_path="map"),
    st.Page("views/industry_page.py", title=t("nav.industry"), icon="🌱", url_path="industry"),
    st.Page("views/assessment_page.py", title=t("nav.assessment"), icon="✅", url_path="assessment"),
    st.Page("views/training_page.py", title=t("nav.training"), icon="🎓", url_path="training"),
    st.Page("views/slideshow_page.py", title=t("nav.slideshow"), icon="📽️", url_path="slideshow"),
    st.Page("views/updates_page.py", title=t("nav.updates"), icon="📝", url_path="updates"),
    st.Page("views/data_page.py", title=t("nav.data"), icon="📥", url_path="data"),
    st.Page("views/village_page.py", title=t("nav.village"), icon="🏘️", url_path="village"),
    st.Page("views/admin_page.py", title=t("nav.admin"), icon="🔑", url_path="admin"),
]
navigation = st.navigation(pages)
ui.sidebar()
presentation.apply()  # presentation mode (`present=1`): no sidebar or chrome, large type
ui.browse_gate()  # when browsing needs an account and nobody is signed in: a sign-in prompt only
navigation.run()
