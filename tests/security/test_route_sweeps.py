"""Sweeps over every route of the URLconf: CSRF on every state-changing request (B8), nothing reachable with an
expired password but the change and the log-out (A3), no route that answers 500 to an anonymous caller, and
sources free of the usual injection foot-guns (D2, D3)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from dangjian.accounts.models import User

SRC = Path(__file__).resolve().parents[2] / "src" / "dangjian"


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def concrete_urls(world):
    """Every route with its placeholders filled by an object the secretary may reach."""
    member, org = world.members["BR1"][1], world.br1
    urls = []
    for route, pattern in walk(get_resolver().url_patterns):
        route = route.lstrip("^").rstrip("$").replace("\\Z", "")
        if "(?P<format>" in route or "\\.(?P" in route:
            continue  # DRF's format-suffix duplicates
        pk = member.pk if "members" in route else org.pk
        url = "/" + re.sub(r"<(?:int:)?pk>|\(\?P<pk>[^)]+\)", str(pk), route)
        url = re.sub(r"<str:name>|\(\?P<name>[^)]+\)", "branch_max_members", url)  # an adjustable rule value
        url = re.sub(r"\(\?P<day>[^)]+\)", "2099-01-02", url)  # an entered holiday
        url = url.replace("^", "").replace("$", "")
        if "<" in url or "(?P" in url:
            pytest.fail(f"route with a parameter the sweep cannot fill: {route}")
        urls.append((url, pattern))
    return urls


def allowed_methods(pattern) -> set[str]:
    callback = pattern.callback
    cls = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF router route: method -> action
        return {m.upper() for m in actions}
    names = getattr(cls, "http_method_names", ["get", "post", "put", "patch", "delete"])
    return {m.upper() for m in names if hasattr(cls, m) and m not in ("options", "head", "trace")}


UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# State-changing routes that may be called without a CSRF token, and why.
CSRF_EXEMPT = {
    "/api/v1/auth/token/": "exchanges a password for a token; no session is used or created",
    "/dues/pay/callback/": "the payment channel's server-to-server confirmation: trusted only by its signature, "
                           "it can only complete the order it names",
}


def test_every_state_changing_route_refuses_a_request_without_a_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.secretary)
    checked, failures = 0, []
    for url, pattern in concrete_urls(world):
        for method in sorted(allowed_methods(pattern) & UNSAFE):
            if url in CSRF_EXEMPT:
                continue
            response = getattr(client, method.lower())(url, {}, content_type="application/json") \
                if url.startswith("/api/") else getattr(client, method.lower())(url, {})
            checked += 1
            if response.status_code != 403:
                failures.append((method, url, response.status_code))
    assert failures == []
    assert checked >= 10


def test_a_state_changing_request_with_the_token_gets_through_the_csrf_check(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.secretary)
    client.get("/members/")
    token = client.cookies["csrftoken"].value
    member = world.members["BR1"][1]
    response = client.post(f"/members/{member.pk}/reveal/", {"reason": "x", "csrfmiddlewaretoken": token})
    assert response.status_code == 200


EXPIRED_ALLOWED = {"/accounts/password/change/", "/accounts/logout/", "/accounts/login/", "/healthz",
                   "/dues/calculator/", "/api/v1/dues/calculate",  # the public dues calculator: no records
                   "/api/v1/auth/token/",  # a log-in; the token it gives is refused while the password is expired
                   "/static/"}


def test_with_an_expired_password_nothing_but_the_change_and_log_out_is_reachable(world, client):
    User.objects.filter(pk=world.secretary.pk).update(password_changed_at=timezone.now() - timezone.timedelta(days=91))
    client.post("/accounts/login/", {"username": "secretary", "password": world.password})
    reached = []
    for url, pattern in concrete_urls(world):
        if url in EXPIRED_ALLOWED:
            continue
        for method in sorted(allowed_methods(pattern) & {"GET", "POST"}):
            response = client.get(url) if method == "GET" else client.post(url, {})
            location = response.get("Location", "")
            blocked = (response.status_code == 302 and location.startswith(("/accounts/password/change/",
                                                                             "/accounts/login/"))) \
                or response.status_code in (401, 403)
            if url.startswith("/api/v1/schema/") or url.startswith("/api/v1/docs/"):
                blocked = blocked or response.status_code in (200,)  # the public description of the API
            if not blocked:
                reached.append((method, url, response.status_code))
            if "_auth_user_id" not in client.session:  # an API call ends the session: log in again
                client.post("/accounts/login/", {"username": "secretary", "password": world.password})
    assert reached == []


@pytest.mark.parametrize("role", [None, "nobody", "member_user", "auditor"])
def test_no_route_answers_500_to_callers_with_little_or_no_right(world, role):
    client = Client(raise_request_exception=False)
    if role:
        client.force_login(getattr(world, role))
    errors = []
    for url, pattern in concrete_urls(world):
        for method in sorted(allowed_methods(pattern)):
            response = getattr(client, method.lower())(url, {})
            if response.status_code >= 500:
                errors.append((method, url, response.status_code))
    assert errors == []


# -- sources --------------------------------------------------------------------------------------------------

def source_files(pattern="*.py"):
    return [p for p in SRC.rglob(pattern) if "migrations" not in p.parts]


def test_no_sql_is_built_from_formatted_strings():
    offenders = []
    risky = re.compile(r"""(\.raw\(|\.extra\(|RawSQL\(|execute\()\s*(f["']|["'][^"']*["']\s*(%|\.format))""")
    for path in source_files():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if risky.search(line):
                offenders.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert offenders == []


def test_no_template_or_view_switches_off_escaping_or_csrf():
    offenders = []
    for path in source_files("*.html"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\|\s*safe\b|{%\s*autoescape\s+off", line):
                offenders.append(f"{path.relative_to(SRC)}:{n}")
    for path in source_files():
        text = path.read_text(encoding="utf-8")
        for word in ("mark_safe(", "csrf_exempt", "SafeString("):
            if word in text and (str(path.relative_to(SRC)), word) not in REVIEWED_EXEMPTIONS:
                offenders.append(f"{path.relative_to(SRC)}: {word}")
    assert offenders == []


# Reviewed: the payment channel calls back server to server; the view trusts only the channel's signature.
REVIEWED_EXEMPTIONS = {("dues/views.py", "csrf_exempt")}
