"""Import & export (`/data`): Excel templates, checked all-or-nothing imports, and downloads."""

import streamlit as st

from lib.core.i18n import t
from lib.present.common import parse_as_of
from lib.ui import data_forms, shell, signed_in, widgets

filters = shell.open_page("data")
widgets.page_header(t("data.title"), filters)
actor = signed_in.current_actor()
as_of = parse_as_of(widgets.as_of())
st.caption(t("data.intro"))

data_forms.import_section(actor, as_of=as_of)
st.divider()
data_forms.exports_section(actor, filters, as_of=as_of)
