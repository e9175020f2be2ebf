"""Deployment checks of our own, run by `dangjian check` (with --deploy in production)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def no_superusers_and_keys(app_configs, **kwargs):
    errors = []
    if not settings.PRODUCTION:
        return errors
    from django.db import DatabaseError

    from dangjian.accounts.models import User

    try:
        if User.objects.filter(is_superuser=True, is_active=True).exists():
            errors.append(Error("生产环境不允许存在超级用户账号", id="dangjian.E001"))
    except DatabaseError:
        pass  # not migrated yet: `migrate` runs first
    if not settings.DATA_KEY and not settings.KEY_FILE.exists():
        errors.append(Error("缺少数据加密密钥：请设置 DANGJIAN_DATA_KEY 或 DANGJIAN_KEY_FILE", id="dangjian.E002"))
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        errors.append(Error("生产环境（等保三级）须使用 PostgreSQL，不能使用嵌入式 SQLite", id="dangjian.E003"))
    if settings.DUES_PAYMENT_PROVIDER.endswith(".FakeProvider"):
        errors.append(Error("生产环境不能使用模拟支付渠道：请配置 DANGJIAN_DUES_PAYMENT_PROVIDER 为真实的支付渠道",
                            id="dangjian.E005"))
    return errors


@register()
def rule_overrides_are_valid(app_configs, **kwargs):
    """A malformed DANGJIAN_RULE_OVERRIDES is reported by `check`, `migrate` and `serve`, before any request."""
    from django.core.exceptions import ImproperlyConfigured

    from .rulebook import _overrides

    try:
        _overrides()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="dangjian.E004")]
    return []
