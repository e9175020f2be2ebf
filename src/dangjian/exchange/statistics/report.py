"""The annual report: every table for an organisation and its subtree on a cut-off day."""

from __future__ import annotations

import datetime as dt

from dangjian.orgs.history import subtree_on
from dangjian.orgs.models import Organization

from .activity import appraisal_table, recruitment_table, training_table
from .membership import basic_table, changes, cross_table, leaving_table, membership_change_table, roll_groups
from .tables import Report, year_start

def org_name_on(org: Organization, on: dt.date) -> str:
    version = subtree_on(org, on).filter(org=org).values_list("name", flat=True).first()
    return version or org.name


def annual_report(org: Organization, on: dt.date) -> Report:
    """Every table for `org` and everything under it, as of the end of `on` (the year: the day after `year_start`)."""
    start = year_start(on)
    groups = roll_groups(org, on)
    c = changes(org, start, on, groups)
    tables = [
        membership_change_table(c),
        basic_table(groups),
        cross_table(groups, "education"),
        cross_table(groups, "age_band"),
        cross_table(groups, "occupation"),
        recruitment_table(org, start, on, c.admitted_ids),
        leaving_table(c),
        appraisal_table(org, on),
        training_table(org, start, on, c.end["total"]),
    ]
    return Report(org=org, org_name=org_name_on(org, on), on=on, start=start, tables=tables)
