"""Sessions end after 30 idle minutes (15 for administrators) and after 12 hours; expired passwords must be changed."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from dangjian.accounts.middleware import SESSION_AUTH_AT, SESSION_SEEN_AT
from dangjian.accounts.models import User


def logged_in(client, world, username):
    client.post("/accounts/login/", {"username": username, "password": world.password})
    assert "_auth_user_id" in client.session
    return client


def age_session(client, idle_seconds=0, auth_seconds=0):
    session = client.session
    session[SESSION_SEEN_AT] = time.time() - idle_seconds
    session[SESSION_AUTH_AT] = time.time() - auth_seconds
    session.save()


@pytest.mark.parametrize("username, idle_minutes, expect_logged_out", [
    ("secretary", 29, False), ("secretary", 31, True), ("auditor", 14, False), ("auditor", 16, True),
])
def test_idle_timeout_is_30_minutes_and_15_for_administrators(world, client, username, idle_minutes, expect_logged_out):
    logged_in(client, world, username)
    age_session(client, idle_seconds=idle_minutes * 60)
    response = client.get("/")
    if expect_logged_out:
        assert response.status_code == 302 and "timeout=1" in response["Location"]
        assert "_auth_user_id" not in client.session
    else:
        assert response.status_code == 200


def test_absolute_session_lifetime_is_12_hours(world, client):
    logged_in(client, world, "secretary")
    age_session(client, auth_seconds=12 * 3600 + 60)
    assert client.get("/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_older_than_90_days_forces_a_change_before_anything_else(world, client):
    User.objects.filter(pk=world.secretary.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    logged_in(client, world, "secretary")
    for url in ("/", "/members/", "/orgs/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/accounts/password/change/"
    assert client.get("/accounts/password/change/").status_code == 200
    response = client.post("/accounts/password/change/", {
        "old_password": world.password, "new_password": "Fresh-Start-2026", "confirm_password": "Fresh-Start-2026"})
    assert response.status_code == 302
    assert client.get("/members/").status_code == 200


def test_password_of_89_days_is_still_valid(world, client):
    User.objects.filter(pk=world.secretary.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=89))
    logged_in(client, world, "secretary")
    assert client.get("/").status_code == 200


def test_role_revocation_takes_effect_on_the_next_request(world, client):
    from dangjian.accounts.actions import do_revoke_role

    logged_in(client, world, "secretary")
    member = world.members["BR1"][1]
    assert client.get(f"/members/{member.pk}/").status_code == 200
    do_revoke_role(world.secretary.role_assignments.get())
    assert client.get(f"/members/{member.pk}/").status_code == 404


def test_a_session_started_without_the_login_action_still_times_out(world, client):
    """A session that never went through do_login (another log-in path, a restored session) is not exempt:
    its clock starts at its first request."""
    client.force_login(world.secretary)
    assert SESSION_AUTH_AT not in client.session
    assert client.get("/").status_code == 200
    assert SESSION_AUTH_AT in client.session and SESSION_SEEN_AT in client.session
    age_session(client, idle_seconds=31 * 60)
    response = client.get("/")
    assert response.status_code == 302 and "timeout=1" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_an_expired_password_is_enforced_on_sessions_started_without_the_login_action(world, client):
    User.objects.filter(pk=world.secretary.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    client.force_login(world.secretary)
    response = client.get("/members/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/change/"


def test_activity_keeps_a_session_alive_up_to_the_absolute_limit(world, client):
    logged_in(client, world, "secretary")
    for hours_since_login in (2, 5, 8, 11.9):
        age_session(client, idle_seconds=20 * 60, auth_seconds=int(hours_since_login * 3600))
        assert client.get("/").status_code == 200, hours_since_login
    age_session(client, idle_seconds=60, auth_seconds=12 * 3600 + 1)
    assert client.get("/").status_code == 302


def test_a_timed_out_session_is_audited_and_cannot_be_replayed(world, client):
    from dangjian.core.models import AuditRecord

    logged_in(client, world, "secretary")
    cookie = client.cookies["sessionid"].value
    age_session(client, idle_seconds=31 * 60)
    client.get("/")
    rec = AuditRecord.objects.filter(action="auth.logout", actor=world.secretary).get()
    assert rec.detail == "会话超时"
    client.cookies["sessionid"] = cookie
    assert client.get("/members/").status_code == 302


def test_session_timeouts_follow_the_settings(world, client, settings):
    settings.SESSION_POLICY = {**settings.SESSION_POLICY, "idle_minutes": 5}
    logged_in(client, world, "secretary")
    age_session(client, idle_seconds=6 * 60)
    assert client.get("/").status_code == 302


def test_session_cookie_is_http_only_same_site_and_expires_within_12_hours(world, client, settings):
    from django.conf import settings as live

    assert live.SESSION_COOKIE_HTTPONLY and live.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")
    assert live.SESSION_COOKIE_AGE <= 12 * 3600
    response = client.post("/accounts/login/", {"username": "secretary", "password": world.password})
    morsel = response.cookies["sessionid"]
    assert morsel["httponly"] and morsel["samesite"] in ("Lax", "Strict")


def test_an_api_token_stops_working_when_the_password_expires(world, client):
    from dangjian.accounts.actions import do_issue_api_token

    raw = do_issue_api_token(world.secretary)
    headers = {"HTTP_AUTHORIZATION": f"Token {raw}"}
    assert client.get("/api/v1/members/", **headers).status_code == 200
    User.objects.filter(pk=world.secretary.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    response = client.get("/api/v1/members/", **headers)
    assert response.status_code in (401, 403) and "密码已过期" in response.content.decode()
