"""Import & export (`/data`): Excel templates, checked all-or-nothing imports, and downloads."""

import streamlit as st

from lib import ui
from lib.core.i18n import t
from lib.present.common import parse_as_of
from lib.ui import data_forms, shell

filters = shell.open_page("data")
ui.page_header(t("data.title"), filters)
actor = ui.current_actor()
as_of = parse_as_of(ui.as_of())
st.caption(t("data.intro"))

data_forms.import_section(actor, as_of=as_of)
st.divider()
data_forms.exports_section(actor, filters, as_of=as_of)
