"""Helpers for the committee, election and setup-check tests (import as `governance`)."""

from __future__ import annotations

import datetime as dt
import itertools

from dangjian.members.history import record_periods
from dangjian.members.models import Member
from dangjian.members.search import id_number_index, name_initials
from factories import member_data

_serial = itertools.count(1)


def add_member(org, **overrides) -> Member:
    """A member placed directly (the fixture way), with a real blind index."""
    data = member_data(**overrides)
    member = Member(org=org, id_number_index="", name_initials="", **data)
    member.id_number_index = id_number_index(member.id_number)
    member.name_initials = name_initials(member.name)
    member.save()
    record_periods([member], None)  # its history starts with the record, as for the fixture's members
    return member


def fill(org, n: int, **overrides) -> list[Member]:
    return [add_member(org, **overrides) for _ in range(n)]


def months_before(day: dt.date, months: int) -> dt.date:
    from dangjian.members.periods import add_months

    return add_months(day, -months)
