"""Load data (`/load`): the setup checklist, and a county's own files loaded as `python -m lib.load` does."""

import streamlit as st

from lib.core.i18n import t
from lib.present.common import parse_as_of
from lib.queries.setup import setup_status
from lib.ui import cache, load_forms, shell, signed_in, widgets

filters = shell.open_page("load")
widgets.page_header(t("load.page.title"), filters)
actor = signed_in.current_actor()
st.caption(t("load.page.intro"))
load_forms.checklist(cache.query(setup_status), collapsible=True)
st.divider()
load_forms.load_section(actor, as_of=parse_as_of(widgets.as_of()))
