"""Accounts, role assignments over the organisation tree, password history and API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .roles import ROLES, RoleName, Scope


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=50, blank=True)
    failed_logins = models.PositiveSmallIntegerField("连续登录失败次数", default=0)
    locked_until = models.DateTimeField("锁定至", null=True, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    class Meta:
        verbose_name = "账号"
        verbose_name_plural = "账号"
        constraints = [
            models.CheckConstraint(condition=Q(is_superuser=False), name="no_superuser_accounts"),
        ]

    def __str__(self):
        return self.display_name or self.username

    # -- role helpers (cached per request: the user object is loaded anew for every request) --
    def active_assignments(self) -> list["RoleAssignment"]:
        cached = getattr(self, "_assignments_cache", None)
        if cached is None:
            if not self.is_authenticated or not self.is_active or not self.pk:
                cached = []
            else:
                cached = list(self.role_assignments.filter(revoked_at__isnull=True).select_related("org"))
            self._assignments_cache = cached
        return cached

    def forget_assignments(self) -> None:
        self.__dict__.pop("_assignments_cache", None)

    def role_names(self) -> set[str]:
        return {a.role for a in self.active_assignments()}

    def has_perm_anywhere(self, perm: str) -> bool:
        return any(perm in ROLES[a.role].permissions for a in self.active_assignments())

    def is_admin_account(self) -> bool:
        return any(ROLES[a.role].is_admin for a in self.active_assignments())

    def assignments_for(self, perm: str) -> list["RoleAssignment"]:
        return [a for a in self.active_assignments() if perm in ROLES[a.role].permissions]


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_assignments", verbose_name="账号")
    role = models.CharField("角色", max_length=32, choices=RoleName.choices)
    org = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="role_assignments",
        verbose_name="所在党组织",
    )
    scope = models.CharField("数据范围", max_length=16, choices=Scope.choices)
    granted_at = models.DateTimeField("授予时间", default=timezone.now)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "org"], condition=Q(revoked_at__isnull=True), name="one_active_assignment",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.org or '全部'}"


class PasswordHistory(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=256)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]


class ApiToken(models.Model):
    """A revocable API token. Only its SM3 digest is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"
