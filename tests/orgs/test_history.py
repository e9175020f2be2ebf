"""History as of any date: the tree and the memberships are effective-dated, so a count for a past day is made in
the tree as it stood that day, and restructurings (merge, split, move, upgrade) keep the past intact."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from hypothesis import HealthCheck, given, settings, strategies as st

from dangjian.members import actions as member_actions
from dangjian.members.history import counts_by_org_on, counts_on, org_on, periods_on
from dangjian.members.models import Member, MemberPeriod
from dangjian.orgs import actions
from dangjian.orgs.history import subtree_on, versions_on
from dangjian.orgs.models import Organization, OrgVersion

D = dt.date


def fresh(org):
    return Organization.objects.get(pk=org.pk)


def test_counts_before_and_after_a_merge_give_the_historical_and_the_current_answers(world):
    actions.do_merge_organizations(world.br2, into=world.br1, on=D(2026, 3, 1), reason="支部合并", actor=world.organizer)
    assert counts_on(world.br2, D(2026, 2, 28))["total"] == 3
    assert counts_on(world.br1, D(2026, 2, 28))["total"] == 3
    assert counts_on(world.br1, D(2026, 3, 1))["total"] == 6
    assert counts_on(world.br2, D(2026, 3, 1))["total"] == 0
    assert counts_on(world.sta, D(2026, 2, 28))["total"] == counts_on(world.sta, D(2026, 3, 1))["total"] == 6
    br2 = fresh(world.br2)
    assert br2.status == "dissolved" and br2.dissolved_on == D(2026, 3, 1)
    assert versions_on(D(2026, 2, 28)).get(org=br2).status == "active"
    assert versions_on(D(2026, 3, 1)).get(org=br2).status == "dissolved"
    assert set(Member.objects.filter(org=world.br1).values_list("pk", flat=True)) >= {
        m.pk for m in world.members["BR2"]}


def test_a_count_for_a_past_day_uses_the_tree_as_it_stood_that_day(world):
    """某街道党工委 on 2025-12-31 still had BR2, which moved to the other street on 2026-01-01."""
    actions.do_move_organization(world.br2, new_parent=world.stb, actor=world.organizer, on=D(2026, 1, 1))
    assert counts_on(world.sta, D(2025, 12, 31))["full"] == 6
    assert counts_on(world.stb, D(2025, 12, 31))["full"] == 3
    assert counts_on(world.sta, D(2026, 1, 1))["full"] == 3
    assert counts_on(world.stb, D(2026, 1, 1))["full"] == 6
    old = {v.org_id for v in subtree_on(world.sta, D(2025, 12, 31))}
    assert world.br2.pk in old and world.br2.pk not in {v.org_id for v in subtree_on(world.sta, D(2026, 1, 1))}


def test_upgrading_a_branch_to_a_general_branch_keeps_its_earlier_type(world):
    actions.do_update_organization(world.br3, data={"org_type": "general_branch", "name": "中共西城街道第三总支部委员会"},
                                   actor=world.organizer, effective_on=D(2026, 6, 1))
    assert versions_on(D(2026, 5, 31)).get(org=world.br3).org_type == "branch"
    now = versions_on(D(2026, 6, 1)).get(org=world.br3)
    assert (now.org_type, now.name) == ("general_branch", "中共西城街道第三总支部委员会")


def test_a_split_moves_some_members_to_a_new_branch_from_its_day(world):
    new = actions.do_create_organization(parent=world.sta, data={
        "code": "BR1B", "name": "中共东华街道第一支部（二）委员会", "org_type": "branch", "founded_on": D(2026, 4, 1)},
        actor=world.organizer)
    moved = member_actions.do_move_members(world.members["BR1"][:2], to_org=new, on=D(2026, 4, 1), reason="支部拆分",
                                           actor=world.organizer)
    assert moved == 2
    assert counts_on(new, D(2026, 3, 31))["total"] == 0  # it did not exist yet
    assert counts_on(new, D(2026, 4, 1))["total"] == 2
    assert counts_on(world.br1, D(2026, 3, 31))["total"] == 3 and counts_on(world.br1, D(2026, 4, 1))["total"] == 1
    assert org_on(world.members["BR1"][0], D(2026, 3, 31)) == world.br1.pk


def test_history_is_written_forwards_only_a_change_dated_before_the_last_one_is_refused(world):
    actions.do_move_organization(world.br2, new_parent=world.stb, actor=world.organizer, on=D(2026, 5, 1))
    before = OrgVersion.objects.count()
    with pytest.raises(ValidationError) as refused:
        actions.do_update_organization(world.br2, data={"name": "改名"}, actor=world.organizer,
                                       effective_on=D(2026, 4, 1))
    assert "不能早于" in str(refused.value)
    assert fresh(world.br2).name != "改名" and OrgVersion.objects.count() == before
    with pytest.raises(ValidationError) as future:
        actions.do_move_organization(world.br2, new_parent=world.sta, actor=world.organizer,
                                     on=dt.date.today() + dt.timedelta(days=1))
    assert "不能晚于今天" in str(future.value)


def test_a_status_change_dated_before_the_members_last_move_is_refused_in_chinese(world):
    member = world.members["BR2"][0]
    member_actions.do_move_members([member], to_org=world.br1, on=D(2026, 5, 1), reason="支部调整",
                                   actor=world.organizer)
    with pytest.raises(ValidationError) as refused:
        member_actions.do_change_member_status(member, status="deceased", on=D(2026, 4, 1), reason="病故",
                                               actor=world.organizer)
    assert "2026年05月01日" in str(refused.value)
    assert Member.objects.get(pk=member.pk).status == "normal"


def test_a_member_who_died_is_counted_until_the_day_of_death_and_the_record_stays(world):
    member = world.members["BR1"][1]
    member_actions.do_change_member_status(member, status="deceased", on=D(2026, 2, 1), reason="病故",
                                           actor=world.secretary)
    assert counts_on(world.br1, D(2026, 1, 31))["total"] == 3
    assert counts_on(world.br1, D(2026, 2, 1))["total"] == 2
    assert org_on(member, D(2026, 6, 1)) == world.br1.pk  # still on the branch's records


def test_a_transfer_counts_the_member_with_the_receiver_from_the_day_of_receipt(world):
    member = world.members["BR1"][2]
    transfer = member_actions.do_apply_transfer(member, to_org=world.br3, reason="工作调动", actor=world.secretary)
    member_actions.do_approve_transfer(transfer, actor=world.committee_organizer)
    member_actions.do_receive_transfer(transfer, actor=world.organizer, on=D(2026, 7, 15))
    assert counts_on(world.br1, D(2026, 7, 14))["total"] == 3 and counts_on(world.br3, D(2026, 7, 14))["total"] == 3
    assert counts_on(world.br1, D(2026, 7, 15))["total"] == 2 and counts_on(world.br3, D(2026, 7, 15))["total"] == 4


def test_a_probationary_member_counts_as_full_from_the_day_of_conversion(world):
    member = world.members["BR3"][0]
    Member.objects.filter(pk=member.pk).update(joined_on=D(2025, 1, 10), converted_on=D(2026, 1, 10))
    assert counts_on(world.br3, D(2025, 1, 9)) == {"total": 2, "full": 2, "probationary": 0}
    assert counts_on(world.br3, D(2026, 1, 9)) == {"total": 3, "full": 2, "probationary": 1}
    assert counts_on(world.br3, D(2026, 1, 10)) == {"total": 3, "full": 3, "probationary": 0}


def test_records_from_before_history_was_kept_get_periods_from_their_status_dates(world):
    from dangjian.members.history import open_missing_periods

    member = world.members["BR3"][1]
    MemberPeriod.objects.filter(member=member).delete()
    Member.objects.filter(pk=member.pk).update(status="deceased", status_changed_on=D(2024, 3, 3))
    assert open_missing_periods() == 2
    assert counts_on(world.br3, D(2024, 3, 2))["total"] == 3 and counts_on(world.br3, D(2024, 3, 3))["total"] == 2


# -- property: random sequences of transfers, moves and restructurings ------------------------------------------

STEP = st.tuples(st.sampled_from(["transfer", "move_org", "merge", "split", "status"]),
                 st.integers(0, 10**6), st.integers(1, 45))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=10))
def test_after_any_sequence_every_member_is_in_exactly_one_organisation_every_day_and_counts_add_up(world, steps):
    savepoint = transaction.savepoint()
    try:
        _run_and_check(world, steps)
    finally:
        transaction.savepoint_rollback(savepoint)


def _run_and_check(world, steps):
    actor = world.organizer
    day = D(2024, 1, 1)
    days = [day - dt.timedelta(days=1)]
    # The oracle: member → [(from day, org id, status)], kept independently of the history tables.
    oracle = {m.pk: [(None, m.org_id, m.status)] for m in Member.objects.all()}
    # …and branch → [(from day, street id)], the tree's oracle.
    street_of = {b.pk: [(None, s.pk)] for s in (world.sta, world.stb)
                 for b in Organization.objects.get_children(s)}

    def branches():
        return list(Organization.objects.filter(path__startswith=world.dist.path, status="active",
                                                org_type__in=["branch", "general_branch"]).order_by("pk"))

    def streets():
        return [fresh(world.sta), fresh(world.stb)]

    for number, (kind, pick, gap) in enumerate(steps):
        day += dt.timedelta(days=gap)
        days += [day - dt.timedelta(days=1), day]
        members = list(Member.objects.order_by("pk"))
        if kind == "transfer":
            movable = [m for m in members if m.status == "normal"]
            if not movable:
                continue
            member = movable[pick % len(movable)]
            targets = [b for b in branches() if b.pk != member.org_id]
            if not targets:
                continue
            target = targets[pick % len(targets)]
            transfer = member_actions.do_apply_transfer(member, to_org=target, reason="工作调动", actor=actor)
            member_actions.do_approve_transfer(transfer, actor=actor)
            member_actions.do_receive_transfer(transfer, actor=actor, on=day)
            oracle[member.pk].append((day, target.pk, "normal"))
        elif kind == "move_org":
            branch = branches()[pick % len(branches())]
            street = next(s for s in streets() if not branch.path.startswith(s.path))
            actions.do_move_organization(branch, new_parent=street, actor=actor, on=day)
            street_of[branch.pk].append((day, street.pk))
        elif kind == "merge":
            pool = branches()
            if len(pool) < 2:
                continue
            source = pool[pick % len(pool)]
            into = [b for b in pool if b.pk != source.pk][pick % (len(pool) - 1)]
            for member in Member.objects.filter(org=source):
                oracle[member.pk].append((day, into.pk, member.status))
            actions.do_merge_organizations(source, into=into, on=day, reason="合并", actor=actor)
        elif kind == "split":
            source = branches()[pick % len(branches())]
            street = streets()[pick % 2]
            new = actions.do_create_organization(parent=street, data={
                "code": f"S{number}x{pick}", "name": f"新支部{number}", "org_type": "branch", "founded_on": day},
                actor=actor)
            street_of[new.pk] = [(day, street.pk)]
            half = list(Member.objects.filter(org=source).order_by("pk"))[::2]
            if half:
                member_actions.do_move_members(half, to_org=new, on=day, reason="拆分", actor=actor)
            for member in half:
                oracle[member.pk].append((day, new.pk, member.status))
        elif kind == "status":
            member = members[pick % len(members)]
            status = "normal" if member.status != "normal" else ["deceased", "transferred_out", "suspended"][pick % 3]
            member_actions.do_change_member_status(member, status=status, on=day, reason="变更", actor=actor)
            oracle[member.pk].append((day, member.org_id, status))

    everyone = Member.objects.count()
    for day in days + [dt.date.today()]:
        in_force = periods_on(day)
        # exactly one organisation per member, every day
        assert in_force.count() == everyone
        assert not in_force.values("member").annotate(n=Count("id")).filter(n__gt=1).exists()
        # the organisation held the member that day: it stood in the tree and was active
        live = set(versions_on(day).filter(status="active").values_list("org_id", flat=True))
        assert set(in_force.values_list("org_id", flat=True)) <= live
        # the history says what the oracle says
        expected: dict[int, int] = {}
        for changes in oracle.values():
            _, org_id, status = [c for c in changes if c[0] is None or c[0] <= day][-1]
            if status == "normal":
                expected[org_id] = expected.get(org_id, 0) + 1
        by_org = {org: c["total"] for org, c in counts_by_org_on(world.city, day).items()}
        assert by_org == expected
        # per-organisation counts sum to the total, and the two streets make up the district
        total = counts_on(world.city, day)["total"]
        assert sum(by_org.values()) == total
        assert counts_on(world.sta, day)["total"] + counts_on(world.stb, day)["total"] == total
        # each street counts the branches it held that day
        for street in (world.sta, world.stb):
            held = {b for b, moves in street_of.items()
                    if [m for m in moves if m[0] is None or m[0] <= day][-1:] and
                    [m for m in moves if m[0] is None or m[0] <= day][-1][1] == street.pk}
            assert counts_on(street, day)["total"] == sum(n for org, n in expected.items() if org in held)


# -- pages and API ---------------------------------------------------------------------------------------------

def test_the_history_page_shows_the_tree_and_counts_of_the_chosen_day(world, client):
    actions.do_merge_organizations(world.br2, into=world.br1, on=D(2026, 3, 1), reason="支部合并", actor=world.organizer)
    client.force_login(world.organizer)
    before = client.get(f"/orgs/{world.sta.pk}/as-of/?date=2026-02-28").content.decode()
    after = client.get(f"/orgs/{world.sta.pk}/as-of/?date=2026-03-01").content.decode()
    assert world.br2.name in before and "已撤销" not in before
    assert "已撤销" in after
    bad = client.get(f"/orgs/{world.sta.pk}/as-of/?date=2026-02-30")
    assert bad.status_code == 200 and "请输入有效日期" in bad.content.decode()
    early = client.get(f"/orgs/{world.sta.pk}/as-of/?date=1900-01-01")
    assert early.status_code == 200 and world.sta.name in early.content.decode()  # recorded since records began


def test_the_merge_page_refuses_bad_input_in_chinese_and_changes_nothing(world, client):
    client.force_login(world.organizer)
    response = client.post(f"/orgs/{world.br2.pk}/merge/", {"into": world.br1.pk, "effective_on": "", "reason": ""})
    page = response.content.decode()
    assert response.status_code == 200 and "请填写合并生效日期" in page and "请填写合并原因" in page
    assert fresh(world.br2).is_active and Member.objects.filter(org=world.br2).count() == 3
    response = client.post(f"/orgs/{world.br2.pk}/merge/", {"into": world.br1.pk, "effective_on": "2026-03-01",
                                                              "reason": "支部合并"})
    assert response.status_code == 302 and not fresh(world.br2).is_active


def test_a_secretary_cannot_merge_or_read_the_history_of_an_organisation_outside_their_scope(world, client):
    client.force_login(world.secretary)
    assert client.get(f"/orgs/{world.br3.pk}/as-of/?date=2026-01-01").status_code == 404
    assert client.post(f"/orgs/{world.br2.pk}/merge/", {"into": world.br1.pk, "effective_on": "2026-03-01",
                                                         "reason": "合并"}).status_code == 404
    assert fresh(world.br2).is_active


def test_the_api_answers_as_of_queries_and_merges_with_the_same_rules(world, client):
    client.force_login(world.organizer)
    url = f"/api/v1/organizations/{world.br2.pk}/merge/"
    refused = client.post(url, {"into": world.br1.pk, "effective_on": "2999-01-01", "reason": "合并"},
                          content_type="application/json")
    assert refused.status_code == 400 and "不能晚于今天" in str(refused.json())
    assert client.post(url, {"into": world.br1.pk, "effective_on": "2026-03-01", "reason": "合并"},
                       content_type="application/json").status_code == 200
    then = client.get(f"/api/v1/organizations/{world.sta.pk}/as-of/?date=2026-02-28").json()
    now = client.get(f"/api/v1/organizations/{world.sta.pk}/as-of/?date=2026-03-01").json()
    by_id = {row["id"]: row for row in then["organizations"]}
    assert by_id[world.br2.pk]["direct"]["total"] == 3 and by_id[world.br1.pk]["direct"]["total"] == 3
    by_id = {row["id"]: row for row in now["organizations"]}
    assert by_id[world.br2.pk]["status"] == "dissolved" and by_id[world.br1.pk]["direct"]["total"] == 6
    assert then["organizations"][0]["subtree"]["total"] == now["organizations"][0]["subtree"]["total"] == 6
    new = actions.do_create_organization(parent=world.sta, data={"code": "NEWB", "name": "中共新支部委员会",
                                                                 "org_type": "branch", "founded_on": D(2026, 5, 1)},
                                         actor=world.organizer)
    missing = client.get(f"/api/v1/organizations/{new.pk}/as-of/?date=2026-04-30")
    assert missing.status_code == 400 and "尚未成立" in str(missing.json())
    moved = client.post(f"/api/v1/organizations/{new.pk}/move-members/",
                        {"members": [world.members["BR1"][0].pk], "effective_on": "2026-05-02", "reason": "支部拆分"},
                        content_type="application/json")
    assert moved.status_code == 200
    assert org_on(world.members["BR1"][0], D(2026, 5, 1)) == world.br1.pk
    assert org_on(world.members["BR1"][0], D(2026, 5, 2)) == new.pk


def test_a_dissolution_dated_before_the_last_move_is_refused_beside_its_date(world):
    for member in world.members["BR2"]:
        member_actions.do_change_member_status(member, status="transferred_out", on=D(2026, 6, 1), reason="转出",
                                               actor=world.organizer)
    actions.do_move_organization(world.br2, new_parent=world.stb, actor=world.organizer, on=D(2026, 6, 2))
    with pytest.raises(ValidationError) as refused:
        actions.do_dissolve_organization(world.br2, on=D(2026, 5, 1), reason="撤销", actor=world.organizer)
    assert "dissolved_on" in refused.value.message_dict
    assert fresh(world.br2).is_active
