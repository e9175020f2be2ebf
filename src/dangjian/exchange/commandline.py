"""Who a command-line operation acts as: an account, so its scope applies and the audit log names it."""

from __future__ import annotations

import os

from django.core.management.base import CommandError

from dangjian.accounts.models import User


def cli_actor(username: str | None) -> User:
    username = username or os.environ.get("DANGJIAN_USER")
    if not username:
        raise CommandError("请用 --user 指定以哪个账号的身份操作（决定管理范围，并记入审计日志），或设置环境变量 DANGJIAN_USER")
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(f"账号“{username}”不存在或已停用")
    return user
