"""Account writes: log-in with lockout, log-out, passwords, role assignments, API tokens."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import login, logout, password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core import audit
from dangjian.core.actions import require

from . import roles
from .models import ApiToken, PasswordHistory, RoleAssignment, User
from .tokens import issue_token

LOGIN_FAILED = "用户名或密码错误，或账号已被临时锁定（连续失败 {n} 次锁定 {m} 分钟）"
# Hash work for unknown users too, so response time does not reveal which accounts exist.
_DUMMY_HASH = make_password("dangjian-timing-equaliser")
# Log-in events name the account tried as their object (等保 安全审计 b: subject and object of every event).
ACCOUNT_OBJECT = "accounts.user"


def login_failed_message() -> str:
    return LOGIN_FAILED.format(n=settings.LOGIN_POLICY["max_failures"], m=settings.LOGIN_POLICY["lockout_minutes"])


def authenticate_password(username: str, password: str) -> User | None:
    """Check credentials with lockout. Returns the user or None; audits every outcome."""
    now = timezone.now()
    policy = settings.LOGIN_POLICY
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username__iexact=(username or "").strip()).first()
        if user is None:
            check_password(password or "", _DUMMY_HASH)
            audit.record("auth.login", result="failure", actor_name=(username or "")[:150], detail="账号不存在",
                         object_type=ACCOUNT_OBJECT, object_repr=(username or "")[:200])
            return None
        if user.locked_until and user.locked_until > now:
            check_password(password or "", _DUMMY_HASH)
            audit.record("auth.login", actor=user, obj=user, result="denied", detail="账号锁定期间尝试登录")
            return None
        # Always hash, so a disabled account answers in the same time as any other.
        password_ok = user.check_password(password or "")
        if not user.is_active or not password_ok:
            user.failed_logins += 1
            detail = "密码错误" if user.is_active else "账号已停用"
            fields = ["failed_logins"]
            if user.failed_logins >= policy["max_failures"]:
                user.locked_until = now + dt.timedelta(minutes=policy["lockout_minutes"])
                user.failed_logins = 0
                fields.append("locked_until")
                audit.record("auth.lockout", actor=user, obj=user, result="denied",
                             detail=f"连续 {policy['max_failures']} 次登录失败，锁定 {policy['lockout_minutes']} 分钟")
            user.save(update_fields=fields)
            audit.record("auth.login", actor=user, obj=user, result="failure", detail=detail)
            return None
        user.failed_logins = 0
        user.locked_until = None
        user.last_login = now
        user.save(update_fields=["failed_logins", "locked_until", "last_login"])
        audit.record("auth.login", actor=user, obj=user)
        _login_fact(user, now)
        return user


def _login_fact(user: User, now) -> None:
    """A member's log-in is a behaviour fact (the activity indices read it); other accounts leave none."""
    from dangjian.analytics import facts
    from dangjian.analytics.models import FactKind
    from dangjian.members.choices import MemberStatus
    from dangjian.members.models import Member

    member = Member.objects.filter(user=user, status=MemberStatus.NORMAL).values_list("pk", "org_id").first()
    if member:
        facts.record(FactKind.LOGIN, on=timezone.localdate(now), org_id=member[1], member_id=member[0])


def do_login(request, user: User) -> None:
    """Start a session; Django's login() rotates the session key (ASVS 3.2.1)."""
    from .middleware import SESSION_AUTH_AT, SESSION_SEEN_AT

    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    now = timezone.now().timestamp()
    request.session[SESSION_AUTH_AT] = now
    request.session[SESSION_SEEN_AT] = now


def do_logout(request, reason: str = "") -> None:
    user = request.user if request.user.is_authenticated else None
    if user is not None:
        audit.record("auth.logout", actor=user, obj=user, detail=reason)
    logout(request)


@transaction.atomic
def do_change_password(user: User, *, old_password: str | None, new_password: str, actor=None) -> None:
    """Change a password under the policy; the old hash joins the history (last N not reusable)."""
    actor = actor or user
    if old_password is not None and not user.check_password(old_password):
        raise ValidationError({"old_password": "原密码不正确"})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from None
    if user.password:
        PasswordHistory.objects.create(user=user, password=user.password)
    user.set_password(new_password)
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "password_changed_at"])
    keep = settings.PASSWORD_POLICY["history"]
    stale = user.password_history.values_list("pk", flat=True)[keep:]
    PasswordHistory.objects.filter(pk__in=list(stale)).delete()
    audit.record("account.password_change", actor=actor, obj=user, object_repr=user.username)


@transaction.atomic
def do_create_account(*, username: str, password: str, display_name: str = "", actor=None) -> User:
    if actor is not None:
        require(actor, roles.ACCOUNT_MANAGE)
    username = (username or "").strip()
    if not username:
        raise ValidationError({"username": "请填写账号"})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "该账号已存在"})
    user = User(username=username, display_name=display_name)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.save()
    audit.record("account.create", actor=actor, obj=user, object_repr=username, after={"username": username})
    return user


@transaction.atomic
def do_assign_role(user: User, *, role: str, org=None, scope: str | None = None, actor=None) -> RoleAssignment:
    """Grant a role at an org node. The three administrators are exclusive (三权分立)."""
    if actor is not None:
        require(actor, roles.ROLE_ASSIGN)
    if role not in roles.ROLES:
        raise ValidationError({"role": "未知角色"})
    spec = roles.ROLES[role]
    scope = scope or spec.default_scope
    if scope not in roles.Scope.values:
        raise ValidationError({"scope": "未知数据范围"})
    user = User.objects.select_for_update().get(pk=user.pk)
    user.forget_assignments()
    held = user.role_names()
    if spec.is_admin and held:
        raise ValidationError({"role": "系统管理员、安全管理员、审计管理员须由专人担任，不能与其他角色兼任"})
    if not spec.is_admin and held & roles.ADMIN_ROLES:
        raise ValidationError({"role": "管理员账号不能兼任业务角色"})
    if not spec.is_admin and org is None:
        raise ValidationError({"org": "请选择角色所在的党组织"})
    if role in held and any(a.role == role and a.org_id == getattr(org, "pk", None) for a in user.active_assignments()):
        raise ValidationError({"role": "该账号已在此党组织担任该角色"})
    assignment = RoleAssignment.objects.create(user=user, role=role, org=org, scope=scope)
    audit.record("role.grant", actor=actor, obj=assignment,
                 after={"user": user.username, "role": role, "org": getattr(org, "pk", None), "scope": scope})
    user.forget_assignments()
    return assignment


@transaction.atomic
def do_revoke_role(assignment: RoleAssignment, *, actor=None) -> None:
    if actor is not None:
        require(actor, roles.ROLE_ASSIGN)
    assignment = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.revoked_at is not None:
        raise ValidationError({"role": "该角色授权已撤销"})
    assignment.revoked_at = timezone.now()
    assignment.save(update_fields=["revoked_at"])
    audit.record("role.revoke", actor=actor, obj=assignment,
                 before={"user": assignment.user.username, "role": assignment.role, "org": assignment.org_id})


@transaction.atomic
def do_issue_api_token(user: User) -> str:
    token, raw = issue_token(user)
    audit.record("auth.token_issue", actor=user, obj=token, object_repr=f"{token.prefix}…")
    return raw


@transaction.atomic
def do_revoke_api_token(token: ApiToken, *, actor) -> None:
    if token.user_id != actor.pk:
        raise ValidationError("只能撤销自己的令牌")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record("auth.token_revoke", actor=actor, obj=token, object_repr=f"{token.prefix}…")
