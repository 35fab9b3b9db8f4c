"""Planning the next phase: a fair proposal of who goes to which upcoming training session.

Pure pandas, no database: the page passes `lib.queries.training.waiting_list(...)` and the
upcoming required sessions of `lib.queries.training.schedule(...)`, shows the proposal, and an
authorised user confirms it into enrolments through `lib/services`.

The rule
--------
1. *Who is eligible.* Every waiting secretary (one row per cadre_id) except those already enrolled
   in an upcoming session (`enrolled_upcoming` true, when the column is present).
2. *How many seats.* A session's free seats are capacity − enrolled, never below 0; the seats to
   fill are the sum over sessions, but never more than the eligible secretaries.
3. *Each town's share* (`fair_shares`) — the largest-remainder (Hamilton) method: town t with n_t
   of the N eligible gets the whole part of its quota S·n_t/N; the seats still free go one each to
   the towns with the largest remainders (ties: more waiting first, then town code). A town never
   gets more seats than it has people waiting; seats left over by a capped town are shared out
   again the same way among the towns with people still to place. (With S ≤ N the cap never
   binds, so this is plain Hamilton; it is kept for safety.) Quotas are compared as exact
   fractions, so the result does not depend on floating-point rounding.
   Example: 5, 3 and 1 waiting, 6 seats → quotas 3⅓, 2, ⅔ → 3 + 2 + 0, the last seat to the
   largest remainder (⅔) → 3, 2, 1.
4. *Who goes, within a town.* Longest in post first: earliest `since`, then lowest cadre_id (a
   missing `since` goes last).
5. *When.* The chosen secretaries, longest in post first across all towns (since, then cadre_id),
   fill the sessions in start-date order (then session_id), each up to its free seats; a full
   session gets nobody.

`propose_allocation` returns columns cadre_id, town_code, session_id, ordered by session (start
date, id), then since, then cadre_id; the same inputs always give the same proposal.
"""

from __future__ import annotations

import pandas as pd

ALLOCATION_COLUMNS = ["cadre_id", "town_code", "session_id"]


def _eligible(waiting: pd.DataFrame) -> pd.DataFrame:
    """Waiting secretaries who may be placed, longest in post first (since, then cadre_id)."""
    frame = waiting[["cadre_id", "town_code", "since"]].copy()
    if "enrolled_upcoming" in waiting:
        enrolled = waiting["enrolled_upcoming"].fillna(False).astype(bool)
        frame = frame[~enrolled.to_numpy()]
    frame["_since"] = pd.to_datetime(frame["since"])
    frame = frame.sort_values(["_since", "cadre_id"], na_position="last", kind="mergesort")
    return frame.drop_duplicates("cadre_id").reset_index(drop=True)


def free_seats(sessions: pd.DataFrame) -> pd.Series:
    """Free seats per session_id (capacity − enrolled, never below 0), in start-date order."""
    if sessions.empty:
        return pd.Series(dtype="int64", name="free")
    ordered = sessions.assign(_start=pd.to_datetime(sessions["start_date"])).sort_values(
        ["_start", "session_id"], kind="mergesort"
    )
    free = (ordered["capacity"].astype("int64") - ordered["enrolled"].fillna(0).astype("int64")).clip(lower=0)
    return pd.Series(free.to_numpy(), index=ordered["session_id"].to_numpy(), name="free", dtype="int64")


def _hamilton(seats: int, counts: dict[str, int], room: dict[str, int]) -> dict[str, int]:
    """One largest-remainder round: `seats` among towns by `counts`, each capped at its `room`."""
    total = sum(counts.values())
    given = {town: min(seats * n // total, room[town]) for town, n in counts.items()}
    left = seats - sum(given.values())
    # Largest remainder first (seats·n mod total, an exact fraction of `total`), then more
    # waiting, then town code; only towns with room for one more are considered.
    order = sorted(counts, key=lambda town: (-(seats * counts[town] % total), -counts[town], town))
    for town in order:
        if left == 0:
            break
        if given[town] < room[town] and seats * counts[town] % total:
            given[town] += 1
            left -= 1
    return given


def fair_shares(waiting: pd.DataFrame, seats: int) -> pd.Series:
    """Seats per town (index town_code, sorted) for `seats` free seats, by the rule in the module doc.

    Only eligible secretaries count (those already enrolled upcoming are left out); towns with
    nobody eligible do not appear. The values add up to min(seats, eligible secretaries).
    """
    eligible = _eligible(waiting)
    counts = {str(town): int(n) for town, n in eligible.groupby("town_code").size().items()}
    shares = dict.fromkeys(counts, 0)
    left = min(max(int(seats), 0), sum(counts.values()))
    while left > 0:
        open_towns = {town: n for town, n in counts.items() if shares[town] < n}
        room = {town: counts[town] - shares[town] for town in open_towns}
        given = _hamilton(left, open_towns, room)
        for town, extra in given.items():
            shares[town] += extra
        left -= sum(given.values())
    return pd.Series(shares, name="seats", dtype="int64").sort_index().rename_axis("town_code")


def propose_allocation(waiting: pd.DataFrame, sessions: pd.DataFrame) -> pd.DataFrame:
    """Who goes to which upcoming session: columns cadre_id, town_code, session_id (module doc's rule).

    `waiting` needs cadre_id, town_code, since (and may carry enrolled_upcoming); `sessions`
    needs session_id, start_date, capacity, enrolled and should hold upcoming sessions only.
    """
    if waiting.empty or sessions.empty:
        return pd.DataFrame(columns=ALLOCATION_COLUMNS)
    free = free_seats(sessions)
    eligible = _eligible(waiting)
    if eligible.empty:
        return pd.DataFrame(columns=ALLOCATION_COLUMNS)
    shares = fair_shares(waiting, int(free.sum()))
    chosen = pd.concat(
        [
            group.head(int(shares.get(str(town), 0)))
            for town, group in eligible.groupby("town_code", sort=True)
        ]
    ).sort_values(["_since", "cadre_id"], na_position="last", kind="mergesort")
    seats = [session_id for session_id, n in free.items() for _ in range(int(n))]
    proposal = chosen[["cadre_id", "town_code"]].reset_index(drop=True)
    proposal["session_id"] = seats[: len(proposal)]
    return proposal[ALLOCATION_COLUMNS]
