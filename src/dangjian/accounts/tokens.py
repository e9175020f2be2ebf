"""API tokens: random, shown once, stored as an HMAC-SM3 digest, revocable."""

import secrets

from django.utils import timezone
from rest_framework import authentication, exceptions

from dangjian.core.crypto import provider

from .models import ApiToken


def digest(token: str) -> str:
    return provider().blind_index(token, "api-token")


def issue_token(user) -> tuple[ApiToken, str]:
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, digest=digest(raw), prefix=raw[:8])
    return token, raw


class TokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key):
        token = (
            ApiToken.objects.select_related("user")
            .filter(digest=digest(key), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("令牌无效或已被撤销")
        now = timezone.now()
        if token.user.locked_until and token.user.locked_until > now:
            raise exceptions.AuthenticationFailed("账号已被临时锁定")
        from .middleware import password_expired

        if password_expired(token.user):  # 等保 定期更换: no way round the password change, tokens included
            raise exceptions.AuthenticationFailed("密码已过期，请先登录网页修改密码")
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.user.api_token = token
        return token.user, token
