"""The indicators as the refresh stores them (DuckDB engine): every catalog code computed, counted as of a day from
the membership periods, rolled up to every ancestor, and each formula of docs/indicators.md."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Sum

from dangjian.analytics import extract as staging
from dangjian.analytics import summaries
from dangjian.analytics.catalog import INDICATORS
from dangjian.analytics.engines import DuckDBEngine
from dangjian.analytics.indicators import Indicators, Params, spans
from dangjian.analytics.models import Fact, IndicatorValue, MemberScore
from dangjian.analytics.refresh import compute, do_refresh
from dangjian.dues.models import DuesBill
from dangjian.dues.months import add_months, month_of

from analytics.dataset import build, seat, today

pytestmark = pytest.mark.django_db


def values_on(as_of=None, **filters) -> dict:
    stored = next(iter(summaries.stored_dates([as_of or today()])))
    rows = IndicatorValue.objects.filter(as_of=stored, **filters)
    return {(v.org_id, v.code, v.key): (v.value, v.numerator, v.denominator) for v in rows}


def refreshed(as_of=None):
    run = do_refresh(as_of)
    assert run.state == "done", run.error
    return values_on(as_of)


def test_every_catalog_code_is_computed_and_has_values_for_the_sample_organisation(world):
    build(world)
    values = refreshed()
    computed = {code for _org, code, _key in values}
    assert computed == {i.code for i in INDICATORS}
    with staging.connect() as duck:
        expressions = Indicators(DuckDBEngine(duck=duck).table, Params.on(today(), 5)).expressions()
    assert set(expressions) == {i.code for i in INDICATORS}


def test_members_count_where_their_period_places_them_on_the_day_and_roll_up_to_every_ancestor(world):
    data = build(world)
    now = refreshed()
    assert now[(world.br3.pk, "members.total", "")][0] == 4
    assert now[(world.br2.pk, "members.total", "")][0] == 2
    assert now[(world.sta.pk, "members.total", "")][0] == 5  # BR1 3 + BR2 2
    assert now[(world.stb.pk, "members.total", "")][0] == 4
    assert now[(world.dist.pk, "members.total", "")][0] == 9
    assert now[(world.city.pk, "members.total", "")][0] == 9
    assert now[(world.br1g1.pk, "members.total", "")][0] == 0  # a living organisation without members: zero
    before = refreshed(today() - dt.timedelta(days=200))
    assert before[(world.br2.pk, "members.total", "")][0] == 3 and before[(world.br3.pk, "members.total", "")][0] == 3
    assert data["moved"].org_id == world.br3.pk


def test_structure_keys_split_the_total_and_the_age_band_turns_on_the_birthday(world):
    member = world.members["BR1"][0]
    day = today()
    member.birth_date = day.replace(year=day.year - 31) if not (day.month == 2 and day.day == 29) else \
        dt.date(day.year - 31, 3, 1)
    member.save(update_fields=["birth_date"])
    values = refreshed()
    bands = {k: v[0] for (org, code, k), v in values.items() if org == world.br1.pk and code == "members.age_band"}
    assert bands.get("31_35", 0) >= 1
    total = values[(world.br1.pk, "members.total", "")][0]
    for code in ("members.gender", "members.category", "members.age_band", "members.ethnicity",
                 "members.join_period", "members.occupation"):
        assert sum(v[0] for (org, c, _k), v in values.items() if org == world.br1.pk and c == code) == total, code
    day_before = refreshed(member.birth_date.replace(year=member.birth_date.year + 31) - dt.timedelta(days=1))
    younger = {k: v[0] for (org, code, k), v in day_before.items() if org == world.br1.pk and code == "members.age_band"}
    assert younger.get("31_35", 0) == bands.get("31_35", 0) - 1


def test_member_vitality_is_the_capped_sum_of_points_per_fact_kind_and_each_point_is_explained(world):
    build(world)
    refreshed()
    logins = MemberScore.objects.get(member=world.members["BR3"][0])
    # 19 logins at 0.5 points, at most 6 points.
    assert logins.detail["login"] == {"count": 19, "quantity": 19.0, "points": 6.0}
    assert logins.score == 6.0
    attendee = MemberScore.objects.get(member=world.members["BR1"][0])
    study = float(Fact.objects.get(member=world.members["BR1"][0], kind="study").quantity)
    assert attendee.detail["attendance"]["points"] == 5.0 and attendee.detail["study"]["quantity"] == study
    assert attendee.score == pytest.approx(5.0 + study)
    payer = MemberScore.objects.get(member=world.members["BR1"][1])
    assert payer.detail["dues_payment"] == {"count": 2, "quantity": payer.detail["dues_payment"]["quantity"],
                                             "points": 4.0}
    absent = MemberScore.objects.get(member=world.members["BR1"][2])
    assert absent.score == 0 and absent.detail == {}
    values = values_on()
    scores = list(MemberScore.objects.filter(org=world.br1).values_list("score", flat=True))
    assert values[(world.br1.pk, "vitality.member_avg", "")][0] == pytest.approx(sum(scores) / 3)


def test_a_dues_reversal_takes_the_points_of_the_month_back(world):
    from dangjian.dues import actions as dues
    from dangjian.dues.models import DuesPayment

    build(world)
    payment = DuesPayment.objects.filter(member=world.members["BR1"][1]).order_by("id").first()
    dues.do_reverse_payment(payment, reason="录入错误", actor=world.secretary)
    refreshed()
    payer = MemberScore.objects.get(member=world.members["BR1"][1])
    assert payer.detail["dues_payment"]["count"] == 1 and payer.detail["dues_payment"]["points"] == 2.0


def test_dues_collection_rate_is_the_amount_paid_over_the_amount_billed_in_the_last_twelve_months(world):
    build(world)
    values = refreshed()
    first = add_months(month_of(today()), -11)
    bills = DuesBill.objects.filter(org=world.br1, month__gte=first, month__lte=today())
    due = float(bills.aggregate(s=Sum("amount"))["s"])
    paid = float(sum(b.amount for b in bills if b.payments.filter(active=True).exists()))
    value, numerator, denominator = values[(world.br1.pk, "dues.collection_rate", "")]
    assert (numerator, denominator) == (pytest.approx(paid), pytest.approx(due))
    assert value == pytest.approx(paid / due) and 0 < value < 1
    assert values[(world.city.pk, "dues.collection_rate", "")] == (value, numerator, denominator)
    assert (world.br2.pk, "dues.collection_rate", "") not in values  # nothing billed: no rate, not 0 %


def test_orglife_compliance_is_the_kind_periods_held_over_those_required(world):
    build(world)
    values = refreshed()
    held_month = today() - dt.timedelta(days=40)
    month_ended = any(start <= held_month <= end for _k, start, end in spans(today(), "month"))
    value, held, required = values[(world.br1.pk, "orglife.compliance", "")]
    # BR1 owes each of its kinds once per period ended in the last 12 months; it has no committee (a secretary
    # only) and its 党小组 no members, so no 支委会 and no 党小组会 are owed.
    from dangjian.core import rulebook

    freq = rulebook.value("orglife_frequency")
    branch_kinds = ["general_meeting", "party_lecture", "theme_day", "life_meeting", "democratic_appraisal"]
    owed = sum(len(spans(today(), freq[k])) for k in branch_kinds)
    assert required == owed
    assert held == (1 if month_ended else 0) and value == pytest.approx(held / required)
    city = values[(world.city.pk, "orglife.compliance", "")]
    assert city[2] == 3 * owed


def test_a_committee_meeting_is_owed_only_for_periods_a_committee_of_three_sat_through(world):
    from dangjian.orgs.models import GroupMembership

    build(world)
    month_spans = spans(today(), "month")
    formed = month_spans[5][1] + dt.timedelta(days=14)  # mid-month: owed from the next month on
    seat(world.br1, world.members["BR1"], formed)
    seat(world.br2, world.members["BR2"][:2], month_spans[0][1])  # two in office: below the smallest committee
    GroupMembership.objects.create(group=world.br1g1, member=world.members["BR1"][0], started_on=month_spans[2][1],
                                   ended_on=month_spans[8][1])  # left on the first day of that month: not owed then
    before = refreshed()
    committee_months = sum(1 for _k, start, _e in month_spans if start > formed)
    group_months = 6  # the months from the third to the eighth
    base = {org: before[(org.pk, "orglife.compliance", "")][2] for org in (world.br1, world.br2)}
    # The same day without the holdings: what BR1 and its group owed above that is the committee and group months.
    from dangjian.orgs.models import CommitteeMember

    CommitteeMember.objects.all().delete()
    GroupMembership.objects.all().delete()
    after = refreshed()
    assert base[world.br1] - after[(world.br1.pk, "orglife.compliance", "")][2] == committee_months + group_months
    assert base[world.br2] == after[(world.br2.pk, "orglife.compliance", "")][2]


def test_a_decided_democratic_appraisal_counts_as_the_year_held(world):
    from dangjian.orglife.models import Appraisal

    build(world)
    year_end = dt.date(today().year - 1, 12, 31)
    first = refreshed(year_end)[(world.br2.pk, "orglife.compliance", "")]
    Appraisal.objects.create(org=world.br2, year=year_end.year, state=Appraisal.State.OPEN,
                             created_by=world.organizer)
    assert refreshed(year_end)[(world.br2.pk, "orglife.compliance", "")] == first  # still open: not held
    Appraisal.objects.filter(org=world.br2).update(state=Appraisal.State.DECIDED, decided_on=year_end)
    value, held, required = refreshed(year_end)[(world.br2.pk, "orglife.compliance", "")]
    assert (held, required) == (first[1] + 1, first[2])


def test_the_compliance_indicator_at_a_year_end_counts_as_the_orglife_pages_count_that_year(world):
    from dangjian.orglife.models import Meeting
    from dangjian.orglife.queries import compliance
    from dangjian.orgs.models import GroupMembership, Organization

    build(world)
    year_end = dt.date(today().year - 1, 12, 31)
    seat(world.br1, world.members["BR1"], dt.date(year_end.year, 3, 15))
    GroupMembership.objects.create(group=world.br1g1, member=world.members["BR1"][1],
                                   started_on=dt.date(year_end.year, 2, 1))
    Meeting.objects.filter(org=world.br1).update(starts_at=dt.datetime(year_end.year, 6, 10, 2, tzinfo=dt.timezone.utc))
    values = refreshed(year_end)
    pages = compliance(Organization.objects.filter(path__startswith=world.sta.path), year_end.year,
                       on=year_end + dt.timedelta(days=1))
    counted = {c.org.pk: (sum(k.held_count for k in c.kinds), sum(k.required_count for k in c.kinds)) for c in pages}
    # A branch's figure covers its subtree: BR1 with its 党小组.
    for org, parts in ((world.br1g1, [world.br1g1]), (world.br1, [world.br1, world.br1g1]), (world.br2, [world.br2])):
        expected = tuple(sum(counted[o.pk][i] for o in parts) for i in (0, 1))
        assert values[(org.pk, "orglife.compliance", "")][1:] == expected, org.code
    assert values[(world.br1.pk, "orglife.compliance", "")][2] > values[(world.br2.pk, "orglife.compliance", "")][2]


def test_open_warnings_by_light_roll_up_and_resolved_ones_do_not_count(world):
    build(world)
    values = refreshed()
    assert values[(world.br2.pk, "alerts.open", "red")][0] == 1
    assert values[(world.br3.pk, "alerts.open", "yellow")][0] == 1
    assert (world.br1.pk, "alerts.open", "red") not in values
    assert values[(world.br1.pk, "alerts.open", "")][0] == 0
    assert values[(world.dist.pk, "alerts.open", "")][0] == 2
    earlier = refreshed(today() - dt.timedelta(days=45))
    assert earlier[(world.br1.pk, "alerts.open", "red")][0] == 1  # open then, resolved 20 days ago
    assert (world.br2.pk, "alerts.open", "red") not in earlier  # first seen 10 days ago


def test_recruitment_throughput_counts_the_steps_of_the_last_twelve_months(world):
    build(world)
    values = refreshed()
    assert values[(world.br1.pk, "recruitment.throughput", "applied")][0] == 1
    assert values[(world.city.pk, "recruitment.throughput", "applied")][0] == 1
    assert values[(world.br1.pk, "recruitment.throughput", "")][0] == 0  # the total: admitted as probationary
    later = refreshed(today() - dt.timedelta(days=31))
    assert (world.br1.pk, "recruitment.throughput", "applied") not in later


def test_activity_is_the_share_of_members_with_a_fact_in_the_recent_days_and_branch_vitality_weighs_the_parts(world):
    from dangjian.core import rulebook

    build(world)
    values = refreshed()
    value, active, members = values[(world.br1.pk, "vitality.org_activity", "")]
    assert (active, members) == (3.0, 3.0) or (active, members) == (2.0, 3.0)
    weights = rulebook.value("branch_vitality_weights")
    avg = values[(world.br1.pk, "vitality.member_avg", "")][0]
    compliance = values[(world.br1.pk, "orglife.compliance", "")][0]
    expected = (weights["member_avg"] * avg + weights["compliance"] * compliance * 100
                + weights["activity"] * value * 100) / sum(weights.values())
    assert values[(world.br1.pk, "vitality.branch", "")][0] == pytest.approx(expected)
    region = values[(world.sta.pk, "vitality.region", "")]
    branches = [values[(b.pk, "vitality.branch", "")][0] for b in (world.br1, world.br2)]
    assert region[0] == pytest.approx(sum(branches) / 2) and region[2] == 2
    assert (world.br1.pk, "vitality.region", "") not in values and (world.sta.pk, "vitality.branch", "") not in values


def test_a_rule_setting_changes_the_points(world):
    from dangjian.core.rule_settings import do_set_rule_value

    build(world)
    points = {"attendance": ["5", "40"], "check_in": ["2", "10"], "study": ["1", "32"], "dues_payment": ["2", "24"],
              "login": ["1", "10"], "task_step": ["1", "5"], "recruitment_step": ["1", "5"]}
    do_set_rule_value("vitality_points", points, reason="登录计分调整", actor=world.sysadmin)
    refreshed()
    assert MemberScore.objects.get(member=world.members["BR3"][0]).score == 10.0


def test_compute_alone_gives_every_code(world):
    build(world)
    with staging.connect() as duck:
        staging.extract(duck)
        computed = compute(DuckDBEngine(duck=duck), today())
    assert {c for c, *_ in computed.values} == {i.code for i in INDICATORS}
    assert len(computed.scores) == 9
