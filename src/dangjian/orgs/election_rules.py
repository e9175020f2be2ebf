"""The regulation checks of terms and elections (换届), each returning a reason a secretary understands.

Pure functions over dates and counts: every number comes from the rulebook, for the date of the event.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from dangjian.core import rulebook
from dangjian.members.periods import add_months, add_years

from .choices import OrgType


# -- terms ---------------------------------------------------------------------------------------------------

def term_years(org_type: str, village_or_community: bool, on: dt.date) -> int | None:
    """How long a term lasts (None for a 党小组, which has no term of its own)."""
    if village_or_community:
        return rulebook.value("term_years_village_community", on)
    return rulebook.value("term_years", on).get(org_type)


def term_end(org_type: str, village_or_community: bool, started_on: dt.date) -> dt.date | None:
    """The day the term is due to end: the same day N years after it began."""
    years = term_years(org_type, village_or_community, started_on)
    return add_years(started_on, years) if years else None


def schedule_shift(planned_end: dt.date, held_on: dt.date) -> str:
    """'on_time', 'early' or 'late' for an election of a new committee against the current term's end."""
    window = rulebook.value("term_on_time_window_months", held_on)
    if held_on > planned_end:
        return "late"
    if held_on < add_months(planned_end, -window):
        return "early"
    return "on_time"


def schedule_refusal(planned_end: dt.date, held_on: dt.date, note: str) -> str | None:
    """Early or late elections need the higher organisation's approval and normally differ by ≤ 1 year."""
    shift = schedule_shift(planned_end, held_on)
    if shift == "on_time":
        return None
    years = rulebook.value("term_max_shift_years", held_on)
    cite = rulebook.citation("term_max_shift_years")
    if shift == "early" and held_on < add_years(planned_end, -years):
        return f"提前换届一般不超过 {years} 年（{cite}），本届任期 {planned_end} 届满"
    if not (note or "").strip():
        word = "提前" if shift == "early" else "延期"
        return f"本届任期 {planned_end} 届满，{word}换届须经上级党组织批准（{cite}），请填写批准情况（文号、日期）"
    return None


# -- members: 党龄 and qualification ------------------------------------------------------------------------------

def party_standing_start(member) -> dt.date | None:
    """党龄 counts from the end of probation: the conversion date, or the admission date plus the probation."""
    if member.converted_on:
        return member.converted_on
    if member.joined_on is None:
        return None
    return add_years(member.joined_on, rulebook.value("probation_years", member.joined_on))


def party_standing_years(member, on: dt.date) -> int:
    """Whole years of 党龄 on `on` (0 before probation has ended)."""
    start = party_standing_start(member)
    if start is None or start > on:
        return 0
    years = on.year - start.year - ((on.month, on.day) < (start.month, start.day))
    return max(years, 0)


def secretary_refusal(member, on: dt.date) -> str | None:
    """A secretary normally has at least 1 year of 党龄 (支部工作条例 第二十三条)."""
    need = rulebook.value("secretary_min_party_standing_years", on)
    start = party_standing_start(member)
    if start is None or add_years(start, need) > on:
        since = f"党龄自 {start} 起算" if start else "没有入党日期"
        return f"{member.name}：书记一般应具有 {need} 年以上党龄（{rulebook.citation('secretary_min_party_standing_years')}），{since}"
    return None


# -- elections ---------------------------------------------------------------------------------------------------

def quorum_refusal(due: int, present: int, on: dt.date) -> str | None:
    """More than 4/5 of the voting members due to attend must be present (exactly 4/5 is not enough)."""
    num, den = rulebook.value("election_quorum", on)
    cite = rulebook.citation("election_quorum")
    if due <= 0:
        return "没有应到会的有选举权党员，不能进行选举"
    if present > due:
        return f"实到会人数（{present}）不能多于应到会人数（{due}）"
    if present * den <= due * num:
        return f"应到会有选举权党员 {due} 人，实到 {present} 人，未超过 {num}/{den}，不能进行选举（{cite}）"
    return None


def candidates_needed(seats: int, on: dt.date, *, by_election: bool = False) -> int:
    """Committee candidates: at least 20% more than the seats, rounded up (3 seats → 4 candidates)."""
    margin = Decimal(rulebook.value("by_election_candidate_margin" if by_election else "election_candidate_margin", on))
    return math.ceil(Decimal(seats) * (1 + margin))


def wins(votes: int, electors_present: int, on: dt.date) -> bool:
    """More than half of the votes of those present with voting rights."""
    num, den = rulebook.value("election_win_share", on)
    return votes * den > electors_present * num


def committee_quorum_refusal(present: int, size: int, on: dt.date) -> str | None:
    """The new committee elects the secretary and deputy: more than half of its members must be present."""
    num, den = rulebook.value("committee_meeting_quorum", on)
    if not 0 < present <= size:
        return f"请填写选举书记、副书记时到会的委员人数（当选委员 {size} 名）"
    if present * den <= size * num:
        return f"到会委员须超过委员总数的一半才能选举书记、副书记（{rulebook.citation('committee_meeting_quorum')}）"
    return None


def committee_size_limits(org_type: str, on: dt.date) -> tuple[int, int, int] | None:
    """[minimum, usual maximum, maximum] committee members for an organisation type (None for a 党小组)."""
    limits = rulebook.value("committee_size", on).get(org_type)
    return tuple(limits) if limits else None


def seats_refusal(org_type: str, seats: int, on: dt.date) -> str | None:
    """A committee of 3–7 for a branch (5–9 for a 总支 or 党委); 0 seats means only a secretary is elected."""
    limits = committee_size_limits(org_type, on)
    if limits is None:
        return f"{OrgType(org_type).label}不设委员会"
    low, _, high = limits
    branch = org_type in (OrgType.BRANCH, OrgType.JOINT_BRANCH, OrgType.TEMPORARY_BRANCH)
    if seats == 0 and branch:
        return None
    if not low <= seats <= high:
        return (f"{OrgType(org_type).label}委员会委员一般为 {low}—{high} 人（{rulebook.citation('committee_size')}）"
                + ("；不设委员会的党支部填 0，只选举书记" if branch else ""))
    return None
