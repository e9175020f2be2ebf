"""The annual statistics tables (党内统计年报), each figure checked on a constructed dataset."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.analytics.catalog import AGE_BANDS, JOIN_PERIODS
from dangjian.exchange.statistics.report import annual_report
from dangjian.exchange.statistics.tables import AGE_LIMITS, JOIN_STARTS
from dangjian.members import actions as member_actions
from dangjian.members.history import counts_on
from dangjian.members.models import Member, StatusChangeProposal
from dangjian.orglife.models import Appraisal, AppraisalEntry
from dangjian.orgs import actions as org_actions
from recruiting import candidate_2014, candidate_2026
from dangjian.recruitment.choices import StepKind as K

from .statistics_data import D, YEAR_END, a_year_of_movements, fresh, person_data, transfer

pytestmark = pytest.mark.django_db


def figures(table, column=0):
    return {row.label: row.values[column] for row in table.rows if not row.note}


def test_membership_change_balances_start_plus_in_minus_out(world):
    a_year_of_movements(world)
    report = annual_report(world.sta, YEAR_END)
    t = figures(report.table("membership_change"))
    assert t["上年底（年初）党员数"] == 5 == counts_on(world.sta, D(2024, 12, 31))["total"]
    assert (t["发展党员（接收为预备党员）"], t["恢复党籍"], t["从系统外转入（介绍信）"],
            t["系统内转入（组织关系转接、组织调整）"], t["党组织隶属关系调整转入"]) == (1, 1, 1, 1, 3)
    assert (t["转往系统外（介绍信）"], t["系统内转出（组织关系转接、组织调整）"], t["党组织隶属关系调整转出"],
            t["开除党籍"], t["死亡"], t["停止党籍"]) == (1, 1, 0, 1, 1, 1)
    assert t["本年增加党员"] == 7 and t["本年减少党员"] == 5
    assert t["上年底（年初）党员数"] + t["本年增加党员"] - t["本年减少党员"] == t["本年底党员数"] == 7
    assert t["本年底党员数"] == counts_on(world.sta, YEAR_END)["total"]
    assert (t["其中：正式党员"], t["其中：预备党员"]) == (6, 1)


def test_membership_change_balances_for_every_organisation_of_the_tree(world):
    """The identity holds for any root, including ones members left for and the branch that moved."""
    a_year_of_movements(world)
    for org in (world.city, world.dist, world.sta, world.stb, world.br1, world.br2, world.br3):
        t = figures(annual_report(org, YEAR_END).table("membership_change"))
        assert t["上年底（年初）党员数"] + t["本年增加党员"] - t["本年减少党员"] == t["本年底党员数"], org.code
        assert t["本年底党员数"] == counts_on(org, YEAR_END)["total"], org.code
    stb = figures(annual_report(world.stb, YEAR_END).table("membership_change"))
    assert stb["党组织隶属关系调整转出"] == 3 and stb["系统内转出（组织关系转接、组织调整）"] == 1


def test_transfer_after_year_end_does_not_change_report(world):
    a_year_of_movements(world)
    before = annual_report(world.sta, YEAR_END).as_dict()
    n = Member.objects.get(name__isnull=False, joined_on=D(2025, 6, 1))
    transfer(world, n, world.stb, D(2026, 2, 1))
    member_actions.do_change_member_status(fresh(world.members["BR3"][1]), status="deceased", on=D(2026, 3, 1),
                                           reason="病故", actor=world.organizer)
    org_actions.do_move_organization(world.br2, new_parent=world.stb, actor=world.organizer, on=D(2026, 4, 1))
    org_actions.do_update_organization(world.sta, data={"name": "中共东华街道新名称工作委员会"}, actor=world.organizer,
                                       effective_on=D(2026, 5, 1))
    after = annual_report(world.sta, YEAR_END).as_dict()
    assert after == before
    assert after["org"]["name"] == "中共东华街道工作委员会"  # the name of the day
    assert annual_report(world.sta, D(2026, 5, 1)).table("membership_change").value("本年底党员数") != 7


def test_leaving_the_party_is_counted_by_kind_and_suspended_leavers_apart(world):
    a1, a2, a3 = world.members["BR1"]
    b1 = world.members["BR2"][0]
    member_actions.do_record_disciplinary_action(a1, data={
        "kind": "expulsion", "decided_on": D(2025, 3, 1), "deciding_body": "中共示范区纪律检查委员会",
        "starts_on": D(2025, 3, 1), "reason": "严重违纪"}, actor=world.organizer)
    member_actions.do_change_member_status(a2, status="left", on=D(2025, 4, 1), reason="本人申请退党",
                                           actor=world.organizer)
    StatusChangeProposal.objects.create(member=a3, kind="remove", ground="removal", reason="理想信念动摇，经教育仍无转变",
                                        state="approved", proposed_by=world.organizer, decided_on=D(2025, 5, 1))
    member_actions.do_change_member_status(a3, status="left", on=D(2025, 5, 1), reason="除名", actor=world.organizer)
    member_actions.do_change_member_status(b1, status="suspended", on=D(2024, 3, 1), reason="失去联系六个月以上",
                                           actor=world.organizer)
    StatusChangeProposal.objects.create(member=b1, kind="remove", ground="self_withdrawal", reason="停止党籍满二年仍无联系",
                                        state="approved", proposed_by=world.organizer, decided_on=D(2025, 6, 1))
    member_actions.do_change_member_status(fresh(b1), status="left", on=D(2025, 6, 1), reason="自行脱党",
                                           actor=world.organizer)
    report = annual_report(world.sta, YEAR_END)
    leaving = report.table("leaving")
    rows = [(r.label, r.values) for r in leaving.rows]
    assert rows[0] == ("本年出党（在册党员）", [3, 3, 0, 0])
    assert dict(rows[1:9])["开除党籍"] == [1, 1, 0, 0]
    assert dict(rows[1:9])["退党"] == [1, 1, 0, 0]
    assert dict(rows[1:9])["其他除名"] == [1, 1, 0, 0]
    suspended_at = [r.label for r in leaving.rows].index("另：停止党籍后出党（停止党籍时已减少，不重复计入党员数量变化）")
    assert leaving.rows[suspended_at].values == [1, 1, 0, 0]
    assert leaving.rows[suspended_at + 1].label == "自行脱党除名"
    change = figures(report.table("membership_change"))
    assert change["出党"] == 3 and change["上年底（年初）党员数"] == 5 and change["本年底党员数"] == 2


def test_basic_situation_counts_women_minorities_probationary_and_bands_on_the_day(world):
    on = YEAR_END
    br2 = world.br2
    # Turns 31 on the day: 31–35; turns 31 the day after: 30 and under.
    m31 = member_actions.do_create_member(data=person_data(
        gender="female", ethnicity="壮族", birth_date=D(1994, 12, 31), education="junior_college",
        occupation_category="worker", joined_on=D(2013, 1, 2), converted_on=D(2014, 1, 2)), org=br2,
        actor=world.organizer)
    m30 = member_actions.do_create_member(data=person_data(
        gender="male", birth_date=D(1995, 1, 1), education="high_school", occupation_category="farmer",
        joined_on=D(2025, 7, 1), converted_on=None, category="probationary"), org=br2, actor=world.organizer)
    old = member_actions.do_create_member(data=person_data(
        birth_date=D(1930, 5, 1), joined_on=D(1949, 9, 30), converted_on=D(1950, 9, 30),
        occupation_category="retired", education="middle_school_or_below"), org=br2, actor=world.organizer)
    t = annual_report(br2, on).table("basic")
    values = figures(t)
    assert values["党员总数"] == 6 and values["女党员"] == 1 and values["少数民族党员"] == 1
    assert (values["正式党员"], values["预备党员"]) == (5, 1)
    assert values["30岁及以下"] == 1 and values["31至35岁"] == 1 and values["61岁及以上"] >= 1
    assert values["新中国成立前"] == 1 and values["党的十八大以来"] == 2
    assert values["大学专科"] == 1 and values["高中"] == 1 and values["初中及以下"] == 1
    assert values["工人（工勤技能人员）"] == 1 and values["农牧渔民"] == 1 and values["离退休人员"] == 1
    assert sum(values[str(label)] for label in AGE_BANDS.values()) == values["党员总数"]
    assert sum(values[str(label)] for label in JOIN_PERIODS.values()) == values["党员总数"]
    assert figures(t, 1)["女党员"] == Decimal("16.7")
    # A member admitted after the day is not on that day's roll.
    assert figures(annual_report(br2, D(2025, 6, 30)).table("basic"))["党员总数"] == 5
    cross = annual_report(br2, on).table("cross_age_band")
    row = {r.label: r.values for r in cross.rows}
    assert row["31至35岁"] == [1, 0, 1, 1, 0, 1] and row["30岁及以下"] == [1, 1, 0, 0, 1, 0]
    assert row["合计"] == [6, 5, 1, 5, 1, 1]
    assert {m31.pk, m30.pk, old.pk} <= set(Member.objects.filter(org=br2).values_list("pk", flat=True))


def test_bands_and_join_periods_are_the_catalogues(world):
    assert list(AGE_LIMITS) == list(AGE_BANDS) and list(JOIN_STARTS) == list(JOIN_PERIODS)


def test_recruitment_counts_admissions_of_the_year_and_the_stage_each_candidate_had_reached(world):
    admitted = candidate_2014(world)  # applied 2023, target 2024-04-02, trained 2024-05-10, admitted 2024
    applicant = candidate_2026(world, until=K.ACTIVIST_DETERMINATION)  # applied 2025-03-01
    activist = candidate_2026(world, until=K.TARGET_CONSENT)  # activist from 2025-05-01
    admitted.refresh_from_db()
    joined = admitted.member.joined_on
    assert joined.year == 2024
    year_2024 = annual_report(world.sta, D(2024, 12, 31))
    r = figures(year_2024.table("recruitment"))
    assert r["本年发展党员（接收为预备党员）"] == 1
    assert figures(year_2024.table("membership_change"))["发展党员（接收为预备党员）"] == 1
    assert r["本年确定为发展对象"] == 1 and r["发展对象"] == 0 and r["入党申请人（尚未确定为积极分子）"] == 0
    training = figures(year_2024.table("training"))
    assert training["发展对象短期集中培训（人）"] == 1
    year_2025 = annual_report(world.sta, YEAR_END)
    r = figures(year_2025.table("recruitment"))
    assert r["本年发展党员（接收为预备党员）"] == 0
    assert (r["入党申请人（尚未确定为积极分子）"], r["入党积极分子（尚未确定为发展对象）"], r["发展对象"]) == (1, 1, 0)
    assert r["本年递交入党申请书"] == 2 and r["本年确定为入党积极分子"] == 1
    assert {applicant.pk, activist.pk} and applicant.pk != activist.pk
    # Outside the subtree the same candidates are not counted.
    assert figures(annual_report(world.stb, YEAR_END).table("recruitment"))["入党申请人（尚未确定为积极分子）"] == 0


def test_a_development_ended_by_closure_or_posthumous_admission_leaves_the_pipeline_that_day(world):
    from recruiting import record

    target = candidate_2014(world, until=K.ADMISSION_APPROVAL)  # a development target since 2024-04-02
    record(world, target, K.ADMISSION_APPROVAL, D(2024, 8, 1), passed=False)
    record(world, target, K.CLOSURE, D(2024, 8, 5), opinion="上级党委不批准，本人同意终止")
    activist = candidate_2014(world, until=K.TARGET_DETERMINATION)  # an activist since 2023-04-01
    record(world, activist, K.POSTHUMOUS_ADMISSION, D(2024, 5, 1), opinion="抗洪抢险中牺牲",
           document_number="省委组字〔2024〕1号")
    before = figures(annual_report(world.sta, D(2024, 4, 30)).table("recruitment"))
    assert (before["入党积极分子（尚未确定为发展对象）"], before["发展对象"]) == (1, 1)
    year = figures(annual_report(world.sta, D(2024, 12, 31)).table("recruitment"))
    assert (year["入党积极分子（尚未确定为发展对象）"], year["发展对象"]) == (0, 0)
    assert (year["本年终止发展"], year["本年追认为中国共产党党员"]) == (1, 1)
    assert year["本年发展党员（接收为预备党员）"] == 0
    following = figures(annual_report(world.sta, D(2025, 12, 31)).table("recruitment"))
    assert (following["本年终止发展"], following["本年追认为中国共产党党员"], following["发展对象"]) == (0, 0, 0)


def test_a_member_not_recognised_leaves_the_party_under_that_heading(world):
    from recruiting import record

    candidate = candidate_2014(world, until=K.CONVERSION_APPLICATION)  # a probationary member since 2024
    record(world, candidate, K.NOT_RECOGNISED, D(2025, 3, 1), opinion="入党时隐瞒受处分情况，不符合党员条件")
    report = annual_report(world.sta, YEAR_END)
    leaving = {r.label: r.values for r in report.table("leaving").rows}
    assert leaving["不予承认"] == [1, 0, 1, 0]  # a man, on probation when he left
    assert leaving["其他（系统未记录出党方式）"] == [0, 0, 0, 0]
    change = figures(report.table("membership_change"))
    assert change["出党"] == 1 and change["不予承认"] == 1


def test_appraisal_table_counts_members_assessed_by_grade(world):
    a1, a2, a3 = world.members["BR1"]
    appraisal = Appraisal.objects.create(org=world.br1, year=2025, state=Appraisal.State.DECIDED,
                                         decided_on=D(2025, 12, 20), created_by=world.secretary)
    AppraisalEntry.objects.create(appraisal=appraisal, member=a1, grade="excellent")
    AppraisalEntry.objects.create(appraisal=appraisal, member=a2, grade="qualified")
    AppraisalEntry.objects.create(appraisal=appraisal, member=a3, probationary=True)
    other = Appraisal.objects.create(org=world.br2, year=2025, created_by=world.secretary2)
    AppraisalEntry.objects.create(appraisal=other, member=world.members["BR2"][0])
    Appraisal.objects.create(org=world.br3, year=2025, created_by=world.organizer)  # outside STA
    Appraisal.objects.create(org=world.br1, year=2024, created_by=world.secretary)  # another year
    t = annual_report(world.sta, YEAR_END).table("appraisal")
    v = figures(t)
    assert v["开展民主评议的党组织（个）"] == 2 and v["其中：已评定等次的党组织（个）"] == 1
    assert v["参加民主评议的党员（人）"] == 4 and v["其中：预备党员（参加评议，不评定等次）"] == 1
    assert v["评定等次的正式党员（人）"] == 2 and v["优秀"] == 1 and v["合格"] == 1 and v["不合格"] == 0
    assert v["尚未评定等次的正式党员（人）"] == 1
    assert figures(t, 1)["优秀"] == 50


def test_training_table_sums_study_hours_of_members_present_and_says_what_is_not_recorded(world):
    from orglife.helpers import hold

    a1, a2, a3 = world.members["BR1"]
    lecture = hold(world, world.br1, "party_lecture", D(2025, 3, 1), present=[a1, a2])
    hold(world, world.br1, "party_lecture", D(2024, 12, 1), present=[a1])  # the year before
    t = annual_report(world.sta, YEAR_END).table("training")
    v = figures(t, 0)
    hours = figures(t, 1)
    assert v["计入学时的组织生活（次）"] == 1 and hours["计入学时的组织生活（次）"] == lecture.study_hours
    assert v["参加计入学时的组织生活的党员（人）"] == 2
    assert hours["参加计入学时的组织生活的党员（人）"] == 2 * lecture.study_hours
    assert v["学时达到年度要求（32学时）的党员（人）"] == 0
    notes = [r.label for r in t.rows if r.note]
    assert any("入党积极分子培训" in n and "未记录" in n for n in notes)
    assert all(value is None for r in t.rows if r.note for value in r.values)


def test_the_tables_take_the_same_number_of_statements_however_many_members(world):
    """Aggregated in the database: no statement per member (20 more members, movements included, same count)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def statements():
        with CaptureQueriesContext(connection) as queries:
            annual_report(world.sta, YEAR_END)
        return len(queries)

    a_year_of_movements(world)
    before = statements()
    for i in range(10):
        member_actions.do_create_member(data=person_data(joined_on=D(2025, 3, 1 + i), converted_on=None,
                                                         category="probationary"), org=world.br1, actor=world.organizer)
        member_actions.do_create_member(data=person_data(gender="female"), org=world.br2, actor=world.organizer)
    for member in Member.objects.filter(org=world.br2, status="normal")[:5]:
        member_actions.do_change_member_status(member, status="deceased", on=D(2025, 12, 30), reason="病故",
                                               actor=world.organizer)
    assert statements() == before
    assert figures(annual_report(world.sta, YEAR_END).table("membership_change"))["发展党员（接收为预备党员）"] == 11


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_years_of_movements_always_balance_for_every_organisation(world, seed):
    """Transfers, status changes, admissions, moves of members and of whole branches on random days of 2025: for
    every organisation the movements sum from the start count to the end count, which is the count of the day."""
    import random

    rng = random.Random(seed)
    branches = [world.br1, world.br2, world.br3]
    days = sorted(rng.sample(range(1, 360), 24))
    for n, offset in enumerate(days):
        day = D(2025, 1, 1) + dt.timedelta(days=offset)
        normal = list(Member.objects.filter(status="normal", joined_on__lt=day).order_by("pk"))
        choice = rng.choice(["transfer", "status", "admit", "move_members", "move_org", "restore"])
        if choice == "transfer" and normal:
            member = rng.choice(normal)
            target = rng.choice([b for b in branches if b.pk != member.org_id])
            transfer(world, member, target, day)
        elif choice == "status" and normal:
            member_actions.do_change_member_status(rng.choice(normal), status=rng.choice(["deceased", "left",
                                                                                          "suspended"]),
                                                   on=day, reason="变更", actor=world.organizer)
        elif choice == "restore":
            suspended = list(Member.objects.filter(status="suspended"))
            if suspended:
                member_actions.do_change_member_status(rng.choice(suspended), status="normal", on=day,
                                                       reason="恢复党籍", actor=world.organizer)
        elif choice == "admit":
            member_actions.do_create_member(data=person_data(joined_on=day, converted_on=None, category="probationary"),
                                            org=rng.choice(branches), actor=world.organizer)
        elif choice == "move_members" and normal:
            target = rng.choice(branches)
            moving = [m for m in normal if m.org_id != target.pk][:2]
            if moving:
                member_actions.do_move_members(moving, to_org=target, on=day, reason="组织调整", actor=world.organizer)
        elif choice == "move_org":
            branch = rng.choice(branches)
            branch.refresh_from_db()
            parent = world.stb if branch.path.startswith(world.sta.path) else world.sta
            org_actions.do_move_organization(branch, new_parent=parent, actor=world.organizer, on=day)
        for org in branches:
            org.refresh_from_db()
    moved = 0
    for org in (world.city, world.dist, world.sta, world.stb, world.br1, world.br2, world.br3):
        for on in (D(2025, 6, 30), YEAR_END):
            t = figures(annual_report(org, on).table("membership_change"))
            moved += t["本年增加党员"] + t["本年减少党员"]
            assert t["上年底（年初）党员数"] == counts_on(org, annual_report(org, on).start)["total"], (org.code, on)
            assert t["上年底（年初）党员数"] + t["本年增加党员"] - t["本年减少党员"] == t["本年底党员数"], (org.code, on)
            assert t["本年底党员数"] == counts_on(org, on)["total"], (org.code, on)
    assert moved >= 10
