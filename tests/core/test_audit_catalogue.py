"""The audit catalogue (等保 安全审计 b; SECURITY.md C1/C2/C4): every catalogue event writes exactly one record
carrying time, user, event, result, object, source IP and request id; no record holds a full 身份证号 or phone;
and when the record cannot be written, the business change does not happen either."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import DatabaseError

from dangjian.accounts import actions as account_actions
from dangjian.accounts.models import RoleAssignment, User
from dangjian.accounts.roles import RoleName
from dangjian.core import audit, context
from dangjian.core.models import AuditRecord
from dangjian.members import actions as member_actions
from dangjian.members.models import Member
from dangjian.orgs import actions as org_actions
from dangjian.orgs.models import Organization
from factories import member_data

CLIENT_IP = "127.0.0.1"  # what django.test.Client sends as REMOTE_ADDR


class Catalogue:
    """Run one event and return the records it wrote."""

    def __init__(self, world, client):
        self.world, self.client = world, client

    def new_records(self, run):
        last = AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        run()
        return list(AuditRecord.objects.filter(seq__gt=last).order_by("seq"))

    def in_request(self, run):
        """Actions without a web page of their own yet: run them under a request context as the middleware would."""
        token = context.use_context(ip="10.20.30.40", request_id=uuid.uuid4().hex, source="web")
        try:
            return run()
        finally:
            context._current.reset(token)


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def run_event(cat: Catalogue, event: str):
    w, client = cat.world, cat.client
    member = w.members["BR1"][1]
    if event == "login ok":
        return lambda: login(client, "secretary", w.password)
    if event == "login fail":
        return lambda: login(client, "secretary", "not-the-password")
    if event == "login fail, unknown account":
        return lambda: login(client, "ghost", "not-the-password")
    if event == "lockout":
        for _ in range(4):
            login(client, "secretary", "wrong")
        return lambda: login(client, "secretary", "wrong")
    if event == "logout":
        login(client, "secretary", w.password)
        return lambda: client.post("/accounts/logout/")
    if event == "password change":
        login(client, "secretary", w.password)
        return lambda: client.post("/accounts/password/change/", {
            "old_password": w.password, "new_password": "Another-Pass-2026", "confirm_password": "Another-Pass-2026"})
    if event == "account create":
        return lambda: cat.in_request(lambda: account_actions.do_create_account(
            username="newcomer", password="Newcomer-Pass-1", actor=w.sysadmin))
    if event == "role grant":
        return lambda: cat.in_request(lambda: account_actions.do_assign_role(
            w.nobody, role=RoleName.SECRETARY, org=w.br2, actor=w.secadmin))
    if event == "role revoke":
        assignment = w.secretary2.role_assignments.get()
        return lambda: cat.in_request(lambda: account_actions.do_revoke_role(assignment, actor=w.secadmin))
    if event == "org create":
        return lambda: cat.in_request(lambda: org_actions.do_create_organization(
            parent=w.br2, data={"code": "BR2G1", "name": "第二支部第一党小组", "org_type": "group"}, actor=w.organizer))
    if event == "org update":
        return lambda: cat.in_request(lambda: org_actions.do_update_organization(
            w.br2, data={"contact_name": "李四"}, actor=w.organizer))
    if event == "org move":
        return lambda: cat.in_request(lambda: org_actions.do_move_organization(
            w.br2, new_parent=w.stb, actor=w.organizer))
    if event == "org dissolve":
        return lambda: cat.in_request(lambda: org_actions.do_dissolve_organization(
            w.br1g1, on=dt.date(2025, 1, 1), reason="并入第一支部", actor=w.organizer))
    if event == "member create":
        return lambda: cat.in_request(lambda: member_actions.do_create_member(
            data=member_data(), org=w.br1, actor=w.secretary))
    if event == "member update":
        return lambda: cat.in_request(lambda: member_actions.do_update_member(
            member, data={"phone": "13900001111"}, actor=w.secretary))
    if event == "member status":
        client.force_login(w.secretary)
        return lambda: client.post(f"/members/{member.pk}/status/", {
            "status": "deceased", "status_changed_on": "2025-02-01", "status_reason": "因病去世"})
    if event == "member reveal":
        client.force_login(w.secretary)
        return lambda: client.post(f"/members/{member.pk}/reveal/", {"reason": "核对档案"})
    raise AssertionError(event)


# event -> (action, result, acting account, object type, comes from a web request through the test client)
CATALOGUE = {
    "login ok": ("auth.login", "success", "secretary", "accounts.user", True),
    "login fail": ("auth.login", "failure", "secretary", "accounts.user", True),
    "login fail, unknown account": ("auth.login", "failure", "ghost", "accounts.user", True),
    "lockout": ("auth.lockout", "denied", "secretary", "accounts.user", True),
    "logout": ("auth.logout", "success", "secretary", "accounts.user", True),
    "password change": ("account.password_change", "success", "secretary", "accounts.user", True),
    "account create": ("account.create", "success", "sysadmin", "accounts.user", False),
    "role grant": ("role.grant", "success", "secadmin", "accounts.roleassignment", False),
    "role revoke": ("role.revoke", "success", "secadmin", "accounts.roleassignment", False),
    "org create": ("org.create", "success", "organizer", "orgs.organization", False),
    "org update": ("org.update", "success", "organizer", "orgs.organization", False),
    "org move": ("org.move", "success", "organizer", "orgs.organization", False),
    "org dissolve": ("org.dissolve", "success", "organizer", "orgs.organization", False),
    "member create": ("member.create", "success", "secretary", "members.member", False),
    "member update": ("member.update", "success", "secretary", "members.member", False),
    "member status": ("member.status", "success", "secretary", "members.member", True),
    "member reveal": ("member.reveal", "success", "secretary", "members.member", True),
}


@pytest.mark.parametrize("event", list(CATALOGUE))
def test_each_catalogue_event_writes_exactly_one_record_with_all_seven_fields(world, client, event):
    action, result, actor_name, object_type, via_client = CATALOGUE[event]
    cat = Catalogue(world, client)
    records = cat.new_records(run_event(cat, event))
    mine = [r for r in records if r.action == action]
    assert len(mine) == 1, [(r.action, r.result) for r in records]
    rec = mine[0]
    # time, user, event, result
    assert rec.occurred_at is not None and abs((rec.occurred_at - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 60
    assert rec.actor_name == actor_name
    if actor_name != "ghost":
        assert rec.actor_id == User.objects.get(username=actor_name).pk
    assert rec.action == action and rec.result == result
    # object
    assert rec.object_type == object_type
    assert rec.object_id or rec.object_repr, "the record must name the object acted on"
    # source IP and request id
    assert rec.source_ip == (CLIENT_IP if via_client else "10.20.30.40")
    assert len(rec.request_id) == 32 and rec.source == "web"
    assert audit.verify().ok


def test_records_of_one_request_share_its_request_id_and_different_requests_differ(world, client):
    cat = Catalogue(world, client)
    first = cat.new_records(lambda: login(client, "secretary", world.password))
    second = cat.new_records(lambda: client.post("/accounts/logout/"))
    assert first and second
    assert len({r.request_id for r in first}) == 1 and len({r.request_id for r in second}) == 1
    assert first[0].request_id != second[0].request_id


def test_the_request_id_in_the_record_is_the_one_returned_to_the_client(world, client):
    response = login(client, "secretary", world.password)
    rec = AuditRecord.objects.filter(action="auth.login").order_by("-seq").first()
    assert response["X-Request-ID"] == rec.request_id


def test_revoking_an_already_revoked_role_is_refused_and_writes_nothing(world):
    from django.core.exceptions import ValidationError

    assignment = world.secretary2.role_assignments.get()
    account_actions.do_revoke_role(assignment, actor=world.secadmin)
    revoked_at = RoleAssignment.objects.get(pk=assignment.pk).revoked_at
    count = AuditRecord.objects.filter(action="role.revoke").count()
    with pytest.raises(ValidationError, match="已撤销"):
        account_actions.do_revoke_role(RoleAssignment.objects.get(pk=assignment.pk), actor=world.secadmin)
    assert RoleAssignment.objects.get(pk=assignment.pk).revoked_at == revoked_at
    assert AuditRecord.objects.filter(action="role.revoke").count() == count


# -- personal data never appears in the log -------------------------------------------------------------------

def test_no_audit_record_holds_a_full_id_number_or_phone_after_a_whole_member_lifecycle(world, client):
    data = member_data(phone="13712345678")
    member = member_actions.do_create_member(data=data, org=world.br1, actor=world.secretary)
    new_id = member_data()["id_number"]
    new_birth = dt.date(int(new_id[6:10]), int(new_id[10:12]), int(new_id[12:14]))
    member = member_actions.do_update_member(
        member, data={"phone": "13698765432", "id_number": new_id, "birth_date": new_birth,
                      "address": "北京市东城区景山前街4号"}, actor=world.secretary)
    member_actions.do_reveal_member(member, actor=world.secretary, reason="核对")
    member_actions.do_change_member_status(member, status="transferred_out", on=dt.date(2025, 5, 1),
                                           reason="转往外省", actor=world.secretary)
    client.force_login(world.secretary)
    client.post(f"/members/{member.pk}/reveal/", {"reason": "再次核对"})
    secrets = [data["id_number"], new_id, "13712345678", "13698765432", "景山前街4号"]
    for rec in AuditRecord.objects.all():
        text = " ".join(str(v) for v in (rec.before, rec.after, rec.detail, rec.object_repr, rec.actor_name))
        for secret in secrets:
            assert secret not in text, (rec.action, secret)
    update = AuditRecord.objects.get(action="member.update", object_id=str(member.pk))
    assert update.before["id_number"] == data["id_number"][:3] + "*" * 11 + data["id_number"][-4:]
    assert update.after["phone"] == "136****5432"


# -- fail-closed: no business change without its audit record (等保 安全审计 d) ----------------------------------

def broken_audit_store(monkeypatch):
    original = AuditRecord.save

    def save(self, *args, **kwargs):
        raise DatabaseError("audit store unavailable")

    monkeypatch.setattr(AuditRecord, "save", save)
    return original


def state():
    return (
        Member.objects.count(),
        sorted(Member.objects.values_list("id", "version", "status", "phone")),
        sorted(Organization.objects.values_list("id", "path", "version", "status", "contact_name")),
        User.objects.count(),
        sorted(RoleAssignment.objects.values_list("id", "revoked_at")),
        sorted(User.objects.values_list("id", "password")),
        AuditRecord.objects.count(),
    )


WRITES = {
    "member create": lambda w: member_actions.do_create_member(data=member_data(), org=w.br1, actor=w.secretary),
    "member update": lambda w: member_actions.do_update_member(w.members["BR1"][1], data={"phone": "13900002222"},
                                                               actor=w.secretary),
    "member status": lambda w: member_actions.do_change_member_status(
        w.members["BR1"][1], status="left", on=dt.date(2025, 1, 1), reason="自行脱党", actor=w.secretary),
    "org create": lambda w: org_actions.do_create_organization(
        parent=w.br2, data={"code": "G9", "name": "第九党小组", "org_type": "group"}, actor=w.organizer),
    "org update": lambda w: org_actions.do_update_organization(w.br2, data={"contact_name": "赵六"}, actor=w.organizer),
    "org move": lambda w: org_actions.do_move_organization(w.br2, new_parent=w.stb, actor=w.organizer),
    "org dissolve": lambda w: org_actions.do_dissolve_organization(w.br1g1, on=dt.date(2025, 1, 1), reason="合并",
                                                                   actor=w.organizer),
    "account create": lambda w: account_actions.do_create_account(username="x1", password="Xx-Pass-2026",
                                                                  actor=w.sysadmin),
    "role grant": lambda w: account_actions.do_assign_role(w.nobody, role=RoleName.MEMBER, org=w.br1, actor=w.secadmin),
    "role revoke": lambda w: account_actions.do_revoke_role(w.secretary2.role_assignments.get(), actor=w.secadmin),
    "password change": lambda w: account_actions.do_change_password(w.nobody, old_password=w.password,
                                                                    new_password="Changed-Pass-2026"),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_write_whose_audit_record_cannot_be_stored_is_rolled_back(world, monkeypatch, write):
    before = state()
    broken_audit_store(monkeypatch)
    with pytest.raises(DatabaseError):
        WRITES[write](world)
    assert state() == before
    monkeypatch.undo()
    assert audit.verify().ok


def test_a_failed_login_whose_audit_record_cannot_be_stored_leaves_the_counter_alone(world, monkeypatch):
    broken_audit_store(monkeypatch)
    with pytest.raises(DatabaseError):
        account_actions.authenticate_password("secretary", "wrong")
    monkeypatch.undo()
    assert User.objects.get(pk=world.secretary.pk).failed_logins == 0


def test_an_organisation_contact_phone_is_masked_in_the_log(world):
    org = org_actions.do_create_organization(parent=world.br2, data={"code": "G7", "name": "第七党小组", "org_type": "group",
                                                                     "contact_phone": "13712340000"}, actor=world.organizer)
    org_actions.do_update_organization(org, data={"contact_phone": "13812349999"}, actor=world.organizer)
    texts = [str(r.before) + str(r.after) for r in AuditRecord.objects.filter(action__startswith="org.")]
    assert not any("13712340000" in t or "13812349999" in t for t in texts)
    update = AuditRecord.objects.get(action="org.update", object_id=str(org.pk))
    assert update.before == {"contact_phone": "137****0000"} and update.after == {"contact_phone": "138****9999"}
