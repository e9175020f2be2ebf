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
