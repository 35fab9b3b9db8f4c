"""Naive versions of each page's data work, for comparison only: load whole tables into pandas and
aggregate there. This is what `lib/queries` must beat (each page cold ≥ 10× faster)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine


def _table(engine: Engine, name: str) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql_query(f"SELECT * FROM {name}", conn)


def _households(engine: Engine) -> pd.DataFrame:
    households = _table(engine, "households")
    villages = _table(engine, "villages").rename(columns={"id": "village_id", "code": "village_code"})
    towns = _table(engine, "towns").rename(columns={"id": "town_id", "code": "town_code"})
    return households.merge(villages, on="village_id").merge(towns, on="town_id")


def overview(engine: Engine) -> object:
    h = _households(engine)
    incomes = _table(engine, "household_incomes")
    plans = _table(engine, "industry_plans")
    postings = _table(engine, "postings")
    attendance = _table(engine, "attendance")
    h["poor"] = h["status"] == "poor"
    by_town = h.groupby("town_code").agg(
        households=("id", "size"), poor=("poor", "sum"), people=("members", "sum")
    )
    latest = incomes[incomes["year"] == incomes["year"].max()].merge(h, left_on="household_id", right_on="id")
    latest.groupby("town_code")["per_capita_income"].median()
    plans.merge(h, left_on="household_id", right_on="id").groupby(["town_code", "stage"]).size()
    postings.merge(attendance, on="cadre_id", how="left").groupby("village_id").size()
    return by_town


def map_(engine: Engine) -> object:
    h = _households(engine)
    visits = _table(engine, "verification_visits")
    visited = visits.groupby("household_id").size().rename("visits")
    h = h.merge(visited, left_on="id", right_index=True, how="left")
    return h.groupby("village_code").agg(
        households=("id", "size"), poor=("status", lambda s: (s == "poor").sum()), visits=("visits", "count")
    )


def industry(engine: Engine) -> object:
    h = _households(engine)
    plans = _table(engine, "industry_plans")
    changes = _table(engine, "plan_stage_changes")
    links = _table(engine, "organisation_links")
    orgs = _table(engine, "organisations")
    p = plans.merge(h, left_on="household_id", right_on="id", suffixes=("", "_h"))
    p.groupby(["town_code", "stage"]).size()
    p.groupby("industry_id").agg(expected=("expected_income", "sum"), actual=("actual_income", "sum"))
    changes.groupby("plan_id")["changed_on"].max()
    links.merge(orgs, left_on="organisation_id", right_on="id").groupby("organisation_id").size()
    no_plan = h[(h["labour_count"] > 0) & ~h["id"].isin(plans["household_id"])]
    return no_plan.groupby("village_code").size()


def assessment(engine: Engine) -> object:
    h = _households(engine)
    incomes = _table(engine, "household_incomes")
    visits = _table(engine, "verification_visits")
    latest = incomes[incomes["year"] == incomes["year"].max()]
    merged = h.merge(latest, left_on="id", right_on="household_id", how="left")
    merged["below"] = merged["per_capita_income"] < 4000
    merged["no_water"] = ~merged["safe_water"].astype(bool)
    v = visits.groupby("household_id").agg(last=("visited_on", "max"), satisfied=("satisfied", "mean"))
    merged = merged.merge(v, left_on="id", right_index=True, how="left")
    return merged.groupby(["town_code", "village_code"]).agg(
        below=("below", "sum"), no_water=("no_water", "sum"), satisfied=("satisfied", "mean")
    )


def training(engine: Engine) -> object:
    postings = _table(engine, "postings")
    attendance = _table(engine, "attendance")
    sessions = _table(engine, "training_sessions")
    villages = _table(engine, "villages")
    towns = _table(engine, "towns")
    a = attendance.merge(sessions, left_on="session_id", right_on="id")
    p = postings.merge(villages, left_on="village_id", right_on="id").merge(
        towns, left_on="town_id", right_on="id", suffixes=("", "_t")
    )
    return p.merge(a, on="cadre_id", how="left").groupby(["code_t", "programme_id"]).size()


def village(engine: Engine) -> object:
    h = _households(engine)
    plans = _table(engine, "industry_plans")
    visits = _table(engine, "verification_visits")
    links = _table(engine, "organisation_links")
    code = h["village_code"].iloc[0]
    mine = h[h["village_code"] == code]
    plans[plans["household_id"].isin(mine["id"])]
    links[links["household_id"].isin(mine["id"])]
    return visits[visits["household_id"].isin(mine["id"])]


def updates(engine: Engine) -> object:
    log = _table(engine, "audit_log")
    _households(engine)
    return log.sort_values("id").tail(200)


def data(engine: Engine) -> object:
    return _households(engine).groupby("town_code").size()


def admin(engine: Engine) -> object:
    users = _table(engine, "users")
    _table(engine, "towns")
    _table(engine, "villages")
    return users


NAIVE: dict[str, Callable[[Engine], object]] = {
    "overview": overview,
    "map": map_,
    "industry": industry,
    "assessment": assessment,
    "training": training,
    "village": village,
    "updates": updates,
    "data": data,
    "admin": admin,
    "slideshow": overview,
}
