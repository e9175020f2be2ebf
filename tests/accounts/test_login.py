"""Log-in: 5 failures lock the account for 30 minutes; unknown users and wrong passwords look the same."""

import datetime as dt
import re

from django.utils import timezone

from dangjian.accounts import actions
from dangjian.accounts.models import User
from dangjian.core.models import AuditRecord


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_five_failures_lock_the_account_and_the_right_password_is_then_refused(world, client):
    for _ in range(5):
        response = login(client, "secretary", "wrong")
        assert response.status_code == 200
    user = User.objects.get(username="secretary")
    assert user.locked_until and user.locked_until > timezone.now() + dt.timedelta(minutes=29)
    response = login(client, "secretary", world.password)
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert AuditRecord.objects.filter(action="auth.lockout", actor=user).count() == 1


def test_login_works_again_after_the_lock_expires(world, client):
    for _ in range(5):
        login(client, "secretary", "wrong")
    User.objects.filter(username="secretary").update(locked_until=timezone.now() - dt.timedelta(seconds=1))
    response = login(client, "secretary", world.password)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(world.secretary.pk)


def test_unknown_user_and_wrong_password_get_identical_responses(world, client):
    a = login(client, "no_such_user", "whatever")
    b = login(client, "secretary", "whatever")
    assert a.status_code == b.status_code == 200
    assert actions.login_failed_message() in a.content.decode()
    tokens = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')
    body_a = tokens.sub("", a.content.decode()).replace('value="no_such_user"', 'value="?"')
    body_b = tokens.sub("", b.content.decode()).replace('value="secretary"', 'value="?"')
    assert body_a == body_b


def test_session_key_is_rotated_at_login(world, client):
    client.get("/accounts/login/")
    client.session.save()
    before = client.session.session_key
    login(client, "secretary", world.password)
    assert client.session.session_key != before


def test_logout_invalidates_the_session(world, client):
    login(client, "secretary", world.password)
    cookie = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    client.cookies["sessionid"] = cookie
    assert client.get("/members/").status_code == 302


def test_login_success_failure_and_logout_are_audited(world, client):
    login(client, "secretary", "wrong")
    login(client, "secretary", world.password)
    client.post("/accounts/logout/")
    actions_seen = list(AuditRecord.objects.filter(actor=world.secretary).values_list("action", "result"))
    assert ("auth.login", "failure") in actions_seen and ("auth.login", "success") in actions_seen
    assert ("auth.logout", "success") in actions_seen


def test_open_redirect_after_login_is_refused(world, client):
    response = client.post("/accounts/login/?next=https://evil.example/", {
        "username": "secretary", "password": world.password, "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"


def strip_echo(response, username):
    tokens = re.compile(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')
    return tokens.sub("", response.content.decode()).replace(f'value="{username}"', 'value="?"')


def test_the_right_password_during_the_lock_gets_the_same_answer_as_a_wrong_one(world, client):
    for _ in range(5):
        login(client, "secretary", "wrong")
    locked_right = login(client, "secretary", world.password)
    locked_wrong = login(client, "secretary", "still-wrong")
    unknown = login(client, "ghost", "whatever")
    assert locked_right.status_code == locked_wrong.status_code == unknown.status_code == 200
    assert strip_echo(locked_right, "secretary") == strip_echo(locked_wrong, "secretary") == strip_echo(unknown, "ghost")
    assert actions.login_failed_message() in locked_right.content.decode()


def fake_now(monkeypatch, moment):
    monkeypatch.setattr(timezone, "now", lambda: moment)


def test_the_lock_lasts_thirty_minutes(world, monkeypatch):
    start = timezone.now()
    fake_now(monkeypatch, start)
    for _ in range(5):
        assert actions.authenticate_password("secretary", "wrong") is None
    fake_now(monkeypatch, start + dt.timedelta(minutes=29, seconds=59))
    assert actions.authenticate_password("secretary", world.password) is None
    fake_now(monkeypatch, start + dt.timedelta(minutes=30, seconds=1))
    assert actions.authenticate_password("secretary", world.password) == world.secretary
    assert User.objects.get(pk=world.secretary.pk).locked_until is None


def test_four_failures_do_not_lock_and_a_success_resets_the_count(world):
    for _ in range(4):
        actions.authenticate_password("secretary", "wrong")
    assert actions.authenticate_password("secretary", world.password) is not None
    for _ in range(4):
        actions.authenticate_password("secretary", "wrong")
    user = User.objects.get(pk=world.secretary.pk)
    assert user.locked_until is None and user.failed_logins == 4
    assert actions.authenticate_password("secretary", world.password) is not None


def test_failures_count_against_the_account_whatever_the_case_of_the_name(world):
    for name in ("secretary", "SECRETARY", "Secretary", " secretary ", "sEcReTaRy"):
        actions.authenticate_password(name, "wrong")
    assert User.objects.get(pk=world.secretary.pk).locked_until is not None
    assert actions.authenticate_password("secretary", world.password) is None


def test_a_lockout_writes_one_lockout_record_and_attempts_during_it_are_denied(world):
    for _ in range(5):
        actions.authenticate_password("secretary", "wrong")
    actions.authenticate_password("secretary", world.password)
    records = list(AuditRecord.objects.filter(actor=world.secretary).order_by("seq").values_list("action", "result"))
    assert records.count(("auth.lockout", "denied")) == 1
    assert records.count(("auth.login", "failure")) == 5
    assert records[-1] == ("auth.login", "denied")


def test_lockout_numbers_follow_the_settings(world, settings):
    settings.LOGIN_POLICY = {"max_failures": 3, "lockout_minutes": 10}
    for _ in range(3):
        actions.authenticate_password("secretary", "wrong")
    user = User.objects.get(pk=world.secretary.pk)
    remaining = user.locked_until - timezone.now()
    assert dt.timedelta(minutes=9) < remaining <= dt.timedelta(minutes=10)
    assert "连续失败 3 次锁定 10 分钟" in actions.login_failed_message()


def test_a_disabled_account_cannot_log_in_and_gets_the_common_message(world, client):
    User.objects.filter(pk=world.secretary.pk).update(is_active=False)
    disabled = login(client, "secretary", world.password)
    unknown = login(client, "ghost", world.password)
    assert "_auth_user_id" not in client.session
    assert strip_echo(disabled, "secretary") == strip_echo(unknown, "ghost")


def test_unknown_accounts_cost_a_password_hash_too(world, monkeypatch):
    """Timing must not reveal which accounts exist: an unknown name still runs one hash check."""
    from dangjian.accounts import actions as module

    calls = []
    original = module.check_password
    monkeypatch.setattr(module, "check_password", lambda *a, **k: calls.append(1) or original(*a, **k))
    actions.authenticate_password("ghost", "whatever")
    assert calls == [1]


def test_a_disabled_account_costs_a_password_hash_too(world, monkeypatch):
    from django.contrib.auth import base_user

    calls = []
    original = base_user.check_password
    monkeypatch.setattr(base_user, "check_password", lambda *a, **k: calls.append(1) or original(*a, **k))
    User.objects.filter(pk=world.secretary.pk).update(is_active=False)
    assert actions.authenticate_password("secretary", world.password) is None
    assert calls == [1]
