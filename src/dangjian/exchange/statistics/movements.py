"""Who entered and who left an organisation's subtree between two days, and why (党员数量变化).

A member counts for the subtree on a day when, that day, their period (`MemberPeriod`) is 正常, they have been
admitted (`joined_on` ≤ the day) and their organisation lies under the root in the tree as it stood that day
(`OrgVersion`); this is the rule of `members.history.counts_on`. That state can change only on a day where a
period of the member begins, where a version of the member's organisation begins (a restructuring), or on the
day of admission. Every such day in the window is a candidate; one statement reads, for each candidate, the
state just before and on the day, and returns only the rows where it changes. Summing those movements gives
the end count from the start count exactly (start + in − out = end), however members moved.

The statement is set-based (no per-member query) and runs unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection

from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member, MemberPeriod
from dangjian.orgs.models import OrgVersion

NORMAL = MemberStatus.NORMAL


@dataclass(frozen=True)
class Movement:
    """One change of a member's place in the subtree on `day`: `entered` (True) or left (False)."""

    member_id: int
    day: dt.date
    entered: bool
    admitted: bool  # the day of admission as 预备党员 (发展)
    before_status: str | None  # None: the member's record began that day
    before_org: int | None
    after_status: str
    after_org: int
    full: bool  # a full member (正式党员) on the day before (for leavers) or on the day (for arrivals)
    gender: str


def _in_force_before(alias: str) -> str:
    """In force on the day before `c.d`: [valid_from, valid_to) contains d − 1, written without date arithmetic."""
    return f"({alias}.valid_from IS NULL OR {alias}.valid_from < c.d) AND ({alias}.valid_to IS NULL OR {alias}.valid_to >= c.d)"


def _in_force_on(alias: str) -> str:
    return f"({alias}.valid_from IS NULL OR {alias}.valid_from <= c.d) AND ({alias}.valid_to IS NULL OR {alias}.valid_to > c.d)"


def _under(version: str, root: str) -> str:
    return f"({root}.path IS NOT NULL AND substr({version}.path, 1, length({root}.path)) = {root}.path)"


def _sql() -> str:
    periods, versions, members = MemberPeriod._meta.db_table, OrgVersion._meta.db_table, Member._meta.db_table
    overlaps = "(v.valid_from IS NULL OR v.valid_from <= %(end)s) AND (v.valid_to IS NULL OR v.valid_to > %(start)s)"
    root_overlaps = ("(r.valid_from IS NULL OR r.valid_from <= %(end)s) "
                     "AND (r.valid_to IS NULL OR r.valid_to > %(start)s)")
    in_window = "> %(start)s AND {} <= %(end)s"
    before_in = (f"(pb.status = '{NORMAL}' AND m.joined_on < c.d AND {_under('vb', 'rb')})")
    after_in = (f"(pa.status = '{NORMAL}' AND m.joined_on <= c.d AND {_under('va', 'ra')})")
    return f"""
WITH scope_orgs AS (
    SELECT DISTINCT v.org_id FROM {versions} v JOIN {versions} r ON r.org_id = %(root)s
    WHERE {overlaps} AND {root_overlaps} AND substr(v.path, 1, length(r.path)) = r.path
),
candidates AS (
    SELECT p.member_id, p.valid_from AS d FROM {periods} p
    WHERE p.valid_from {in_window.format('p.valid_from')} AND p.org_id IN (SELECT org_id FROM scope_orgs)
    UNION
    SELECT p.member_id, p.valid_to AS d FROM {periods} p
    WHERE p.valid_to {in_window.format('p.valid_to')} AND p.org_id IN (SELECT org_id FROM scope_orgs)
    UNION
    SELECT m.id, m.joined_on AS d FROM {members} m
    WHERE m.joined_on {in_window.format('m.joined_on')} AND EXISTS (
        SELECT 1 FROM {periods} p WHERE p.member_id = m.id AND p.org_id IN (SELECT org_id FROM scope_orgs)
          AND (p.valid_from IS NULL OR p.valid_from <= m.joined_on) AND (p.valid_to IS NULL OR p.valid_to > m.joined_on))
    UNION
    SELECT p.member_id, v.valid_from AS d FROM {versions} v JOIN {periods} p ON p.org_id = v.org_id
    WHERE v.valid_from {in_window.format('v.valid_from')} AND v.org_id IN (SELECT org_id FROM scope_orgs)
      AND (p.valid_from IS NULL OR p.valid_from < v.valid_from) AND (p.valid_to IS NULL OR p.valid_to > v.valid_from)
),
states AS (
    SELECT c.member_id, c.d, m.joined_on, m.converted_on, m.category, m.gender,
           pb.status AS before_status, pb.org_id AS before_org, pa.status AS after_status, pa.org_id AS after_org,
           CASE WHEN {before_in} THEN 1 ELSE 0 END AS was_in,
           CASE WHEN {after_in} THEN 1 ELSE 0 END AS is_in,
           CASE WHEN pb.status = '{MemberStatus.SUSPENDED}' AND {_under('vb', 'rb')} THEN 1 ELSE 0 END AS was_suspended
    FROM candidates c
    JOIN {members} m ON m.id = c.member_id
    JOIN {periods} pa ON pa.member_id = c.member_id AND {_in_force_on('pa')}
    LEFT JOIN {versions} va ON va.org_id = pa.org_id AND {_in_force_on('va')}
    LEFT JOIN {versions} ra ON ra.org_id = %(root)s AND {_in_force_on('ra')}
    LEFT JOIN {periods} pb ON pb.member_id = c.member_id AND {_in_force_before('pb')}
    LEFT JOIN {versions} vb ON vb.org_id = pb.org_id AND {_in_force_before('vb')}
    LEFT JOIN {versions} rb ON rb.org_id = %(root)s AND {_in_force_before('rb')}
)
SELECT member_id, d, joined_on, converted_on, category, gender, before_status, before_org, after_status, after_org,
       was_in, is_in, was_suspended
FROM states
WHERE was_in <> is_in OR (was_suspended = 1 AND after_status = '{MemberStatus.LEFT}')
ORDER BY d, member_id
"""


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def movements(root_id: int, start: dt.date, end: dt.date) -> tuple[list[Movement], list[Movement]]:
    """The movements into and out of the subtree of `root_id` over the days (start, end], and, apart, the members
    of the subtree who left the Party (出党) while their 党籍 was suspended (already counted out on suspension)."""
    with connection.cursor() as cursor:
        cursor.execute(_sql(), {"root": root_id, "start": start, "end": end})
        rows = cursor.fetchall()
    moves, suspended_leavers = [], []
    for (member_id, day, joined_on, converted_on, category, gender, before_status, before_org, after_status,
         after_org, was_in, is_in, was_suspended) in rows:
        day, joined_on, converted_on = _as_date(day), _as_date(joined_on), _as_date(converted_on)
        entered = bool(is_in)
        # Full on the day that counts: the day before for a leaver, the day itself for an arrival.
        ref = day if entered else day - dt.timedelta(days=1)
        full = converted_on <= ref if converted_on else category == "full"
        move = Movement(member_id=member_id, day=day, entered=entered, admitted=entered and joined_on == day,
                        before_status=before_status, before_org=before_org, after_status=after_status,
                        after_org=after_org, full=full, gender=gender)
        if bool(was_in) != bool(is_in):
            moves.append(move)
        elif was_suspended:
            suspended_leavers.append(move)
    return moves, suspended_leavers
