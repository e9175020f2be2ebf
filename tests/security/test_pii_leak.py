"""PII-leak scanner (battery T3, SECURITY.md H4/C7): no page or API answer shows a full 公民身份号码 or phone,
except the audited reveal itself, for any role; nothing sensitive reaches the log either."""

from __future__ import annotations

import logging
import re

import pytest
from stdnum.cn import ric

from dangjian.core.models import AuditRecord
from dangjian.members import actions as member_actions
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

ROLES = ["secretary", "officer", "secretary2", "committee_organizer", "organizer", "member_user", "sysadmin",
         "secadmin", "auditor", "nobody"]
ID_LIKE = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")
PHONE_LIKE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def leaks(text: str, secrets: list[str]) -> list[str]:
    found = [s for s in secrets if s in text]
    found += [m for m in ID_LIKE.findall(text) if ric.is_valid(m.upper()) if m not in found]
    found += [m for m in PHONE_LIKE.findall(text) if m not in found]
    return found


def urls_for(world) -> list[str]:
    members = list(Member.objects.all())
    orgs = list(Organization.objects.all())
    urls = ["/", "/members/", "/members/me/", "/members/?status=", "/orgs/", "/audit/", "/api/v1/members/",
            "/api/v1/organizations/", "/api/v1/members/?page_size=500"]
    for m in members:
        urls += [f"/members/{m.pk}/", f"/members/{m.pk}/edit/", f"/api/v1/members/{m.pk}/",
                 f"/members/?q={m.id_number}", f"/api/v1/members/?q={m.id_number}", f"/members/?q={m.name}"]
    for o in orgs:
        urls += [f"/orgs/{o.pk}/", f"/orgs/{o.pk}/children/", f"/api/v1/organizations/{o.pk}/"]
    return urls


@pytest.fixture
def secrets(world):
    # A few reveals first, so the audit log has something to show.
    member_actions.do_reveal_member(world.members["BR1"][1], actor=world.secretary, reason="核对")
    member_actions.do_update_member(world.members["BR2"][0], data={"phone": "13511112222"}, actor=world.secretary2)
    members = Member.objects.all()
    return [m.id_number for m in members] + [m.phone for m in members if m.phone]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_or_api_answer_shows_a_full_id_number_or_phone(world, client, secrets, role):
    client.force_login(getattr(world, role))
    found = {}
    for url in urls_for(world):
        if url.endswith("/edit/"):
            continue  # the edit form: see test_opening_the_edit_form_does_not_bypass_the_audited_reveal
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code == 200:
            typed = url.split("q=", 1)[1] if "q=" in url else None  # a search echoes what the user typed
            hits = [h for h in leaks(response.content.decode(), secrets) if h != typed]
            if hits:
                found[url] = hits
    assert found == {}, "\n".join(f"{u}: {h}" for u, h in found.items())


def test_the_edit_form_of_a_member_outside_the_scope_is_not_found(world, client, secrets):
    member = world.members["BR1"][1]
    client.force_login(world.secretary2)
    response = client.get(f"/members/{member.pk}/edit/")
    assert response.status_code == 404 and member.id_number not in response.content.decode()


def test_opening_the_edit_form_does_not_bypass_the_audited_reveal(world, client):
    member = world.members["BR1"][1]
    client.force_login(world.secretary)
    before = AuditRecord.objects.filter(action="member.reveal").count()
    body = client.get(f"/members/{member.pk}/edit/").content.decode()
    revealed = member.id_number in body or member.phone in body
    assert not revealed or AuditRecord.objects.filter(action="member.reveal").count() == before + 1


@pytest.mark.parametrize("role", ["sysadmin", "secadmin", "auditor", "nobody", "secretary2"])
def test_a_reveal_without_the_right_or_the_scope_shows_nothing(world, client, role):
    member = world.members["BR1"][1]
    client.force_login(getattr(world, role))
    for url in (f"/members/{member.pk}/reveal/", f"/api/v1/members/{member.pk}/reveal/"):
        response = client.post(url, {"reason": "x"})
        assert response.status_code in (403, 404), url
        assert member.id_number not in response.content.decode()


def test_the_reveal_shows_the_number_and_leaves_an_audit_record(world, client):
    member = world.members["BR1"][1]
    client.force_login(world.secretary)
    response = client.post(f"/members/{member.pk}/reveal/", {"reason": "办理组织关系转接"})
    assert response.status_code == 200 and member.id_number in response.content.decode()
    rec = AuditRecord.objects.filter(action="member.reveal", object_id=str(member.pk)).get()
    assert rec.actor_id == world.secretary.pk and rec.detail == "办理组织关系转接"


def test_nothing_sensitive_is_logged(world, client, secrets, caplog):
    caplog.set_level(logging.DEBUG)
    client.force_login(world.secretary)
    client.post("/accounts/login/", {"username": "secretary", "password": world.password})
    client.post("/accounts/login/", {"username": "secretary", "password": "Wrong-Password-1"})
    for url in urls_for(world)[:40]:
        client.get(url)
    client.post(f"/members/{world.members['BR1'][1].pk}/reveal/", {"reason": "x"})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert leaks(text, secrets + [world.password, "Wrong-Password-1"]) == []
