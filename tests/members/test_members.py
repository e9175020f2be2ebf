"""Member archive rules: dates, statuses (never deleted), optimistic locking, search, scope."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
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
    found = list(Member.objects.filter(search_q(target.id_number)))
    assert found == [target]
    assert list(Member.objects.filter(search_q(target.id_number[:17] + "0"))) in ([], [target])[:1]


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
