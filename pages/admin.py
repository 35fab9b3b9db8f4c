"""Accounts (`/admin`): administrators manage accounts, the browse setting, and see failed sign-ins."""

import streamlit as st

from lib.core.i18n import t
from lib.ui import admin_forms, shell, signed_in

shell.open_page("admin")

st.title(t("admin.title"))
actor = signed_in.current_actor()

if actor is None:
    st.info(t("admin.sign_in"), icon=":material/lock:")
elif not admin_forms.may_manage(actor):
    st.info(t("admin.only_admins"), icon=":material/lock:")
else:
    accounts = admin_forms.accounts()
    list_tab, create_tab, edit_tab, password_tab, browse_tab, failures_tab = st.tabs(
        [
            t("admin.tab.accounts"),
            t("admin.tab.create"),
            t("admin.tab.edit"),
            t("admin.tab.password"),
            t("admin.tab.browse"),
            t("admin.tab.failures"),
        ]
    )
    with list_tab:
        admin_forms.account_list(accounts)
    with create_tab:
        admin_forms.create_form()
    with edit_tab:
        admin_forms.edit_form(accounts)
    with password_tab:
        admin_forms.password_form(accounts)
    with browse_tab:
        admin_forms.browse_setting()
    with failures_tab:
        admin_forms.failed_sign_ins()
