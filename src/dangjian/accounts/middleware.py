"""Session policy: idle timeout (shorter for administrators), absolute lifetime, password expiry."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

SESSION_AUTH_AT = "dangjian_auth_at"
SESSION_SEEN_AT = "dangjian_seen_at"
SEEN_AT_RESOLUTION = 60  # seconds; the idle timeout is measured to the minute
EXEMPT_PREFIXES = ("/static/", "/accounts/logout/", "/accounts/password/")


def password_expired(user) -> bool:
    max_age = settings.PASSWORD_POLICY["max_age_days"]
    if not max_age:
        return False
    changed = user.password_changed_at
    return changed is None or (timezone.now() - changed).days >= max_age


class SessionPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and getattr(request, "session", None) is not None:
            now = time.time()
            policy = settings.SESSION_POLICY
            if SESSION_AUTH_AT not in request.session:
                # A session that did not come through do_login is not exempt: its clock starts now.
                request.session[SESSION_AUTH_AT] = now
            idle_minutes = policy["admin_idle_minutes"] if user.is_admin_account() else policy["idle_minutes"]
            auth_at = request.session.get(SESSION_AUTH_AT, now)
            seen_at = request.session.get(SESSION_SEEN_AT, now)
            if now - seen_at > idle_minutes * 60 or now - auth_at > policy["absolute_hours"] * 3600:
                from .actions import do_logout

                do_logout(request, reason="会话超时")
                return redirect(f"{reverse('accounts:login')}?timeout=1")
            if SESSION_SEEN_AT not in request.session or now - seen_at >= SEEN_AT_RESOLUTION:  # ≤ 1 write a minute
                request.session[SESSION_SEEN_AT] = now
            if password_expired(user) and not request.path.startswith(EXEMPT_PREFIXES):
                if request.path.startswith("/api/"):
                    logout(request)
                else:
                    return redirect("accounts:password_change")
        return self.get_response(request)
