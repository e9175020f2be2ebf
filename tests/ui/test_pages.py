"""The Chinese UI: pages render for their roles, bad input is shown beside the field and saves nothing."""

import re

import pytest

from factories import member_data
from dangjian.core.models import AuditRecord
from dangjian.members.idnumber import parse_id_number
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

FULL_ID = re.compile(r"(?<![\d*])\d{17}[\dX](?![\d*])")


@pytest.fixture
def secretary(client, world):
    client.force_login(world.secretary)
    return client


def form_data(**overrides):
    data = member_data(**overrides)
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}


def test_pages_render_in_chinese_for_the_secretary(secretary, world):
    for url in ("/", "/orgs/", f"/orgs/{world.br1.pk}/", "/members/", f"/members/{world.members['BR1'][0].pk}/",
                "/members/new/", f"/orgs/{world.br1.pk}/edit/", "/accounts/password/change/"):
        response = secretary.get(url)
        assert response.status_code == 200, url
        assert 'lang="zh-hans"' in response.content.decode()


def test_member_create_with_bad_id_number_shows_error_beside_the_field_and_saves_nothing(secretary, world):
    count = Member.objects.count()
    data = form_data(org=world.br1.pk)
    data["id_number"] = data["id_number"][:17] + ("1" if data["id_number"][17] != "1" else "2")
    response = secretary.post("/members/new/", data)
    body = response.content.decode()
    assert response.status_code == 200 and 'id="id_id_number_errors"' in body and "校验位错误" in body
    assert Member.objects.count() == count


def test_member_create_fills_birth_date_and_gender_from_the_id_number(secretary, world):
    data = form_data(org=world.br1.pk)
    data.pop("birth_date"), data.pop("gender")
    response = secretary.post("/members/new/", data)
    assert response.status_code == 302
    member = Member.objects.get(pk=int(response["Location"].strip("/").split("/")[-1]))
    facts = parse_id_number(member.id_number)
    assert member.birth_date == facts.birth_date and member.gender == ("male" if facts.is_male else "female")


def test_member_create_into_an_organisation_outside_scope_is_refused(secretary, world):
    count = Member.objects.count()
    response = secretary.post("/members/new/", form_data(org=world.br3.pk))
    assert response.status_code == 200 and "不在您的管理范围内" in response.content.decode()
    assert Member.objects.count() == count


def test_lists_and_details_never_show_a_full_id_number(secretary, world):
    for url in ("/members/", f"/members/{world.members['BR1'][0].pk}/", f"/orgs/{world.br1.pk}/"):
        assert not FULL_ID.search(secretary.get(url).content.decode()), url


def test_reveal_shows_the_full_values_and_is_audited(secretary, world):
    member = world.members["BR1"][0]
    response = secretary.post(f"/members/{member.pk}/reveal/", HTTP_HX_REQUEST="true")
    assert member.id_number in response.content.decode()
    assert AuditRecord.objects.filter(action="member.reveal", object_id=str(member.pk)).exists()


def test_tree_children_load_one_level_with_subtree_counts(client, world):
    client.force_login(world.organizer)
    body = client.get(f"/orgs/{world.dist.pk}/children/", HTTP_HX_REQUEST="true").content.decode()
    assert "中共东华街道工作委员会" in body and "中共西城街道工作委员会" in body
    assert "（6 人）" in body and "（3 人）" in body
    assert "第一支部" not in body  # grandchildren wait until expanded


def test_tree_starts_at_the_users_own_organisation(secretary, world):
    body = secretary.get("/orgs/").content.decode()
    assert world.br1.name in body and world.dist.name not in body


def test_org_edit_with_a_stale_version_is_refused(client, world):
    client.force_login(world.organizer)
    org = world.br1
    data = {"name": org.name, "short_name": "改", "code": org.code, "org_type": org.org_type,
            "unit_relation": org.unit_relation, "sort_order": 0, "version": org.version}
    assert client.post(f"/orgs/{org.pk}/edit/", data).status_code == 302
    response = client.post(f"/orgs/{org.pk}/edit/", {**data, "short_name": "再改"})
    assert "已被他人修改" in response.content.decode()
    assert Organization.objects.get(pk=org.pk).short_name == "改"


def test_move_form_offers_only_targets_in_scope(client, world):
    client.force_login(world.committee_organizer)
    body = client.get(f"/orgs/{world.br2.pk}/move/").content.decode()
    assert world.sta.name in body and world.stb.name not in body


def test_status_change_without_reason_shows_an_error(secretary, world):
    member = world.members["BR1"][1]
    response = secretary.post(f"/members/{member.pk}/status/", {"status": "left", "status_changed_on": "2025-01-01"})
    assert "这个字段是必填项" in response.content.decode() or "必填" in response.content.decode()
    assert Member.objects.get(pk=member.pk).status == "normal"


def test_home_lists_what_needs_attention(secretary, world):
    Member.objects.filter(pk=world.members["BR1"][1].pk).update(lost_contact=True)
    body = secretary.get("/").content.decode()
    assert "失联党员" in body


def test_home_has_an_honest_empty_state(client, world, monkeypatch):
    # No organisational-life reminder falls due (else a period ending soon without its meeting is a real item).
    monkeypatch.setenv("DANGJIAN_RULE_OVERRIDES", '{"orglife_reminder_days": {"month": 0, "quarter": 0, "year": 0}}')
    client.force_login(world.secretary2)
    Member.objects.filter(org=world.br2).update(lost_contact=False, is_mobile=False)
    body = client.get("/").content.decode()
    assert "暂无需要处理的事项" in body


def test_my_record_shows_only_the_members_own_record(client, world):
    client.force_login(world.member_user)
    body = client.get("/members/me/").content.decode()
    assert world.own_member.name in body and world.members["BR1"][1].name not in body


def test_audit_log_filters_and_records_its_own_viewing(client, world):
    client.force_login(world.auditor)
    body = client.get("/audit/?action=account.create").content.decode()
    assert "创建账号" in body
    assert AuditRecord.objects.filter(action="audit.view", actor=world.auditor).count() == 1
    verify = client.post("/audit/verify/", HTTP_HX_REQUEST="true").content.decode()
    assert "审计链完整" in verify


def test_security_headers_are_set(secretary):
    response = secretary.get("/members/")
    assert response["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-store"


def test_editing_without_retyping_sensitive_fields_keeps_them(secretary, world):
    member = world.members["BR1"][1]
    page = secretary.get(f"/members/{member.pk}/edit/").content.decode()
    assert member.masked_id_number in page and member.id_number not in page
    data = {"name": "新名字", "gender": member.gender, "ethnicity": member.ethnicity, "id_number": "", "phone": "",
            "address": "", "birth_date": member.birth_date.isoformat(), "occupation_category": member.occupation_category,
            "joined_on": member.joined_on.isoformat(), "converted_on": member.converted_on.isoformat(),
            "category": member.category, "org": member.org_id, "degree": member.degree, "version": member.version}
    assert secretary.post(f"/members/{member.pk}/edit/", data).status_code == 302
    saved = Member.objects.get(pk=member.pk)
    assert (saved.name, saved.id_number, saved.phone, saved.address) == ("新名字", member.id_number, member.phone,
                                                                          member.address)


def test_member_list_filters_by_organisation_subtree(client, world):
    client.force_login(world.organizer)
    body = client.get(f"/members/?org={world.sta.pk}").content.decode()
    assert all(m.name in body for b in ("BR1", "BR2") for m in world.members[b])
    assert not any(f">{m.name}<" in body for m in world.members["BR3"])
