"""Member archive rules: dates, statuses (never deleted), optimistic locking, search, scope."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404

from factories import member_data
from dangjian.members import actions
from dangjian.members.models import Member
from dangjian.members.search import name_initials, search_q
from dangjian.orgs.models import Organization


def test_joining_before_the_18th_birthday_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        data = member_data()
        actions.do_create_member(data={**data, "joined_on": data["birth_date"].replace(year=data["birth_date"].year + 17)},
                                 org=world.br1, actor=world.secretary)
    assert "年满 18 岁" in exc.value.message_dict["joined_on"][0]


@pytest.mark.parametrize("change, field, message", [
    ({"converted_on": dt.date(2009, 1, 1)}, "converted_on", "转正日期应晚于入党日期"),
    ({"category": "probationary"}, "converted_on", "预备党员不应填写转正日期"),
    ({"joined_on": dt.date.today() + dt.timedelta(days=3)}, "joined_on", "不能晚于今天"),
    ({"phone": "12345"}, "phone", "11 位手机号"),
    ({"name": ""}, "name", ""),
    ({"occupation_category": "astronaut"}, "occupation_category", ""),
])
def test_inconsistent_member_data_is_refused_per_field(world, change, field, message):
    count = Member.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.do_create_member(data={**member_data(), **change}, org=world.br1, actor=world.secretary)
    assert field in exc.value.message_dict and message in exc.value.message_dict[field][0]
    assert Member.objects.count() == count


def test_members_are_placed_in_branches_not_groups(world):
    with pytest.raises(ValidationError) as exc:
        actions.do_create_member(data=member_data(), org=world.br1g1, actor=world.secretary)
    assert "党小组" in exc.value.message_dict["org"][0]


def test_leaving_is_a_status_change_with_date_and_reason_and_the_record_stays(world):
    member = world.members["BR1"][1]
    actions.do_change_member_status(member, status="deceased", on=dt.date(2025, 3, 1), reason="因病去世",
                                    actor=world.secretary)
    member = Member.objects.get(pk=member.pk)
    assert (member.status, member.status_changed_on, member.status_reason) == ("deceased", dt.date(2025, 3, 1), "因病去世")


def test_status_change_needs_a_reason_and_a_past_date(world):
    member = world.members["BR1"][1]
    with pytest.raises(ValidationError) as exc:
        actions.do_change_member_status(member, status="left", on=dt.date.today() + dt.timedelta(days=1), reason="",
                                        actor=world.secretary)
    assert set(exc.value.message_dict) == {"status_changed_on", "status_reason"}


def test_stale_edit_is_refused_not_silently_overwritten(world):
    member = world.members["BR1"][1]
    actions.do_update_member(member, data={"native_place": "山东"}, actor=world.secretary, expected_version=1)
    with pytest.raises(ValidationError, match="已被他人修改"):
        actions.do_update_member(member, data={"native_place": "河南"}, actor=world.officer, expected_version=1)
    assert Member.objects.get(pk=member.pk).native_place == "山东"


def test_out_of_scope_member_cannot_be_edited(world):
    with pytest.raises(Http404):
        actions.do_update_member(world.members["BR3"][0], data={"native_place": "x"}, actor=world.secretary)


def test_pinyin_initials_find_the_name(world):
    member = actions.do_create_member(data=member_data(name="张三"), org=world.br1, actor=world.secretary)
    assert name_initials("张三") == "zs"
    assert member in Member.objects.filter(search_q("zs"))
    assert member in Member.objects.filter(search_q("张三"))


def test_exact_id_number_search_uses_the_blind_index(world):
    target = world.members["BR2"][1]
    assert list(Member.objects.filter(search_q(target.id_number))) == [target]
    assert list(Member.objects.filter(search_q(target.id_number.lower()))) == [target]
    other_check = "1" if target.id_number[17] != "1" else "2"
    assert list(Member.objects.filter(search_q(target.id_number[:17] + other_check))) == []
    assert list(Member.objects.filter(search_q(target.id_number[:10]))) == []  # no partial matching of numbers
    assert search_q(target.id_number) == Q(id_number_index=Member.objects.get(pk=target.pk).id_number_index)


@pytest.mark.parametrize("who, expected", [
    ("secretary", 3), ("officer", 3), ("secretary2", 3), ("committee_organizer", 6), ("organizer", 9),
    ("member_user", 1), ("sysadmin", 0), ("secadmin", 0), ("auditor", 0), ("nobody", 0),
])
def test_each_role_sees_exactly_its_scope_of_members(world, who, expected):
    assert Member.objects.restrict(getattr(world, who), "member.view").count() == expected


@pytest.mark.parametrize("who, expected", [
    ("secretary", {"BR1", "BR1G1"}), ("committee_organizer", {"STA", "BR1", "BR1G1", "BR2"}),
    ("member_user", {"BR1"}), ("auditor", set()),
    ("organizer", {"DIST", "STA", "BR1", "BR1G1", "BR2", "STB", "BR3"}),
])
def test_each_role_sees_exactly_its_scope_of_organisations(world, who, expected):
    assert set(Organization.objects.restrict(getattr(world, who), "org.view").values_list("code", flat=True)) == expected


def test_a_member_of_a_dissolved_organisation_cannot_be_restored_to_normal(world):
    import datetime as dt

    from dangjian.orgs import actions as org_actions

    for member in world.members["BR2"]:
        actions.do_change_member_status(member, status="transferred_out", on=dt.date(2025, 1, 1), reason="转出",
                                        actor=world.secretary2)
    org_actions.do_dissolve_organization(world.br2, on=dt.date(2025, 2, 1), reason="撤销", actor=world.organizer)
    with pytest.raises(ValidationError) as exc:
        actions.do_change_member_status(world.members["BR2"][0], status="normal", on=dt.date(2025, 3, 1),
                                        reason="误操作恢复", actor=world.organizer)
    assert "已撤销" in exc.value.message_dict["status"][0]
    assert Member.objects.get(pk=world.members["BR2"][0].pk).status == "transferred_out"



@pytest.mark.parametrize("change, field, message", [
    ({"converted_on": dt.date.today() + dt.timedelta(days=1)}, "converted_on", "转正日期不能晚于今天"),
    ({"converted_on": dt.date(2010, 7, 1)}, "converted_on", "转正日期应晚于入党日期"),
    ({"joined_on": dt.date.today() + dt.timedelta(days=1)}, "joined_on", "入党日期不能晚于今天"),
    ({"category": "probationary"}, "converted_on", "预备党员不应填写转正日期"),
    ({"ethnicity": "火星族"}, "ethnicity", ""),
    ({"address": "x" * 10}, None, None),
])
def test_each_field_rule_answers_in_chinese_on_that_field(world, change, field, message):
    data = {**member_data(), **change}
    if field is None:
        actions.do_create_member(data=data, org=world.br1, actor=world.secretary)
        return
    with pytest.raises(ValidationError) as exc:
        actions.do_create_member(data=data, org=world.br1, actor=world.secretary)
    text = exc.value.message_dict[field][0]
    assert message in text and any("\u4e00" <= c <= "\u9fff" for c in text)


def test_joining_on_the_18th_birthday_is_allowed_and_the_day_before_is_not(world):
    data = member_data()
    birth = data["birth_date"]
    eighteenth = birth.replace(year=birth.year + 18)
    with pytest.raises(ValidationError) as exc:
        actions.do_create_member(data={**data, "joined_on": eighteenth - dt.timedelta(days=1), "converted_on": None},
                                 org=world.br1, actor=world.secretary)
    assert exc.value.message_dict["joined_on"][0].startswith("入党时须年满 18 岁")
    member = actions.do_create_member(data={**data, "joined_on": eighteenth, "converted_on": None}, org=world.br1,
                                      actor=world.secretary)
    assert member.joined_on == eighteenth


def test_a_probationary_member_without_a_conversion_date_is_accepted(world):
    member = actions.do_create_member(data={**member_data(), "category": "probationary", "converted_on": None},
                                      org=world.br1, actor=world.secretary)
    assert member.category == "probationary"


def test_every_exit_status_keeps_the_record_with_its_date_and_reason(world):
    from dangjian.core.models import AuditRecord

    statuses = ["transferred_out", "left", "deceased", "suspended"]
    members = [world.members["BR1"][1], world.members["BR1"][2], world.members["BR2"][0], world.members["BR2"][1]]
    for member, status in zip(members, statuses):
        actor = world.secretary if member.org_id == world.br1.pk else world.secretary2
        actions.do_change_member_status(member, status=status, on=dt.date(2025, 4, 1), reason=f"原因-{status}",
                                        actor=actor)
    assert Member.objects.count() == 9
    for member, status in zip(members, statuses):
        row = Member.objects.get(pk=member.pk)
        assert (row.status, row.status_changed_on, row.status_reason) == (status, dt.date(2025, 4, 1), f"原因-{status}")
        rec = AuditRecord.objects.get(action="member.status", object_id=str(member.pk))
        assert rec.before["status"] == "normal" and rec.after["status"] == status
        assert rec.after["status_reason"] == f"原因-{status}"


def test_leavers_drop_out_of_the_active_roll_but_stay_reachable(world):
    member = world.members["BR1"][1]
    actions.do_change_member_status(member, status="left", on=dt.date(2025, 4, 1), reason="出党", actor=world.secretary)
    visible = Member.objects.restrict(world.secretary, "member.view")
    assert visible.filter(pk=member.pk).exists()
    assert not visible.filter(status="normal", pk=member.pk).exists()


def test_the_same_status_twice_and_a_date_before_joining_are_refused(world):
    member = world.members["BR1"][1]
    with pytest.raises(ValidationError) as exc:
        actions.do_change_member_status(member, status="normal", on=dt.date(2025, 1, 1), reason="x",
                                        actor=world.secretary)
    assert "当前状态已是" in exc.value.message_dict["status"][0]
    with pytest.raises(ValidationError) as exc:
        actions.do_change_member_status(member, status="left", on=dt.date(2000, 1, 1), reason="x",
                                        actor=world.secretary)
    assert exc.value.message_dict["status_changed_on"] == ["变更日期不能早于入党日期"]


def test_a_stale_status_change_is_refused(world):
    from dangjian.core.actions import StaleWrite

    member = world.members["BR1"][1]
    actions.do_update_member(member, data={"native_place": "天津"}, actor=world.secretary, expected_version=1)
    with pytest.raises(StaleWrite):
        actions.do_change_member_status(member, status="left", on=dt.date(2025, 1, 1), reason="x",
                                        actor=world.secretary, expected_version=1)
    assert Member.objects.get(pk=member.pk).status == "normal"


def test_every_write_bumps_the_version(world):
    member = world.members["BR1"][1]
    m = actions.do_update_member(member, data={"native_place": "天津"}, actor=world.secretary, expected_version=1)
    assert m.version == 2
    m = actions.do_change_member_status(m, status="left", on=dt.date(2025, 1, 1), reason="x", actor=world.secretary,
                                        expected_version=2)
    assert m.version == 3 and Member.objects.get(pk=member.pk).version == 3


@pytest.mark.django_db(transaction=True)
def test_two_editors_with_the_same_version_one_wins_and_one_is_told(world):
    import threading

    from django.db import connections

    from dangjian.core.actions import StaleWrite

    member = world.members["BR1"][1]
    outcomes = []
    barrier = threading.Barrier(2)

    def edit(actor, place):
        try:
            barrier.wait()
            actions.do_update_member(member, data={"native_place": place}, actor=actor, expected_version=1)
            outcomes.append(place)
        except StaleWrite:
            outcomes.append("stale")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit, args=(world.secretary, "山东")),
               threading.Thread(target=edit, args=(world.officer, "河南"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 2 and outcomes.count("stale") == 1, outcomes
    winner = next(o for o in outcomes if o != "stale")
    row = Member.objects.get(pk=member.pk)
    assert (row.native_place, row.version) == (winner, 2)


def test_name_substring_and_initials_prefix_search(world):
    a = actions.do_create_member(data=member_data(name="张三丰"), org=world.br1, actor=world.secretary)
    b = actions.do_create_member(data=member_data(name="李三"), org=world.br1, actor=world.secretary)
    c = actions.do_create_member(data=member_data(name="王五"), org=world.br1, actor=world.secretary)
    assert set(Member.objects.filter(search_q("三"))) >= {a, b} and c not in Member.objects.filter(search_q("三"))
    assert a in Member.objects.filter(search_q("zs")) and a in Member.objects.filter(search_q("ZSF"))
    assert b in Member.objects.filter(search_q("ls")) and b not in Member.objects.filter(search_q("zs"))
    assert list(Member.objects.filter(search_q("   "))) == list(Member.objects.all())


def test_initials_follow_a_renamed_member(world):
    member = actions.do_create_member(data=member_data(name="张三"), org=world.br1, actor=world.secretary)
    actions.do_update_member(member, data={"name": "赵四"}, actor=world.secretary)
    assert Member.objects.get(pk=member.pk).name_initials == "zs"  # 赵四 is zs as well
    actions.do_update_member(member, data={"name": "钱七"}, actor=world.secretary)
    assert Member.objects.get(pk=member.pk).name_initials == "qq"


def test_search_never_reaches_outside_the_scope(world):
    outsider = world.members["BR3"][0]
    scoped = Member.objects.restrict(world.secretary, "member.view")
    assert not scoped.filter(search_q(outsider.id_number)).exists()
    assert not scoped.filter(search_q(outsider.name)).exists()


def test_a_member_sees_and_reveals_only_their_own_record_and_cannot_change_it(world):
    own, other = world.own_member, world.members["BR1"][1]
    assert list(Member.objects.restrict(world.member_user, "member.view")) == [own]
    assert actions.do_reveal_member(own, actor=world.member_user)["id_number"] == own.id_number
    with pytest.raises(Http404):
        actions.do_reveal_member(other, actor=world.member_user)
    with pytest.raises(Http404):
        actions.do_update_member(own, data={"native_place": "x"}, actor=world.member_user)


def test_an_out_of_scope_reveal_is_not_found_and_not_revealed(world):
    from dangjian.core.models import AuditRecord

    with pytest.raises(Http404):
        actions.do_reveal_member(world.members["BR3"][0], actor=world.secretary)
    assert not AuditRecord.objects.filter(action="member.reveal").exists()


@pytest.mark.parametrize("who", ["sysadmin", "secadmin", "auditor", "nobody", "member_user"])
def test_roles_without_the_right_cannot_add_members(world, who):
    from django.core.exceptions import PermissionDenied

    with pytest.raises((Http404, PermissionDenied)):
        actions.do_create_member(data=member_data(), org=world.br1, actor=getattr(world, who))


def test_a_secretary_cannot_add_to_or_move_a_member_into_a_sibling_branch(world):
    with pytest.raises(Http404):
        actions.do_create_member(data=member_data(), org=world.br2, actor=world.secretary)
    with pytest.raises(Http404):
        actions.do_update_member(world.members["BR1"][1], data={}, org=world.br2, actor=world.secretary)
    assert Member.objects.get(pk=world.members["BR1"][1].pk).org_id == world.br1.pk


@pytest.mark.parametrize("who, expected", [
    ("officer", {"BR1", "BR1G1"}), ("secretary2", {"BR2"}),
    ("sysadmin", set()), ("nobody", set()),
    ("secadmin", {"CITY", "DIST", "STA", "BR1", "BR1G1", "BR2", "STB", "BR3"}),
])
def test_more_roles_see_exactly_their_organisations(world, who, expected):
    assert set(Organization.objects.restrict(getattr(world, who), "org.view").values_list("code", flat=True)) == expected


@pytest.mark.parametrize("who, perm, expected", [
    ("secretary", "org.change", {"BR1", "BR1G1"}), ("secretary", "org.move", set()), ("secretary", "org.add", set()),
    ("committee_organizer", "org.move", {"STA", "BR1", "BR1G1", "BR2"}), ("member_user", "org.change", set()),
    ("secadmin", "org.change", set()), ("auditor", "org.view", set()),
])
def test_organisation_scope_depends_on_the_permission(world, who, perm, expected):
    assert set(Organization.objects.restrict(getattr(world, who), perm).values_list("code", flat=True)) == expected


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert Member.objects.restrict(AnonymousUser(), "member.view").count() == 0
    assert Organization.objects.restrict(AnonymousUser(), "org.view").count() == 0
    assert Member.objects.restrict(None, "member.view").count() == 0


def test_a_revoked_role_grants_nothing(world):
    from dangjian.accounts.actions import do_revoke_role

    do_revoke_role(world.secretary.role_assignments.get())
    world.secretary.forget_assignments()
    assert Member.objects.restrict(world.secretary, "member.view").count() == 0


def test_an_org_scoped_assignment_excludes_the_subtree(world):
    from dangjian.accounts import actions as account_actions

    user = account_actions.do_create_account(username="sta_only", password=world.password)
    account_actions.do_assign_role(user, role="committee_organizer", org=world.sta, scope="org")
    user.forget_assignments()
    assert set(Organization.objects.restrict(user, "org.view").values_list("code", flat=True)) == {"STA"}
    assert Member.objects.restrict(user, "member.view").count() == 0
