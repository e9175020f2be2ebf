"""Password policy (等保 2.0 L3 身份鉴别 a): length, character classes, common passwords, history.

Numbers come from settings.PASSWORD_POLICY so a deployment can follow its own 测评 practice.
"""

import re

from django.conf import settings
from django.contrib.auth import password_validation as django_validators
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError

CLASSES = [
    ("大写字母", re.compile(r"[A-Z]")),
    ("小写字母", re.compile(r"[a-z]")),
    ("数字", re.compile(r"[0-9]")),
    ("特殊字符", re.compile(r"[^A-Za-z0-9]")),
]


def policy():
    return settings.PASSWORD_POLICY


class LengthValidator:
    def validate(self, password, user=None):
        low, high = policy()["min_length"], policy()["max_length"]
        if len(password) < low:
            raise ValidationError(f"密码至少需要 {low} 个字符", code="password_too_short")
        if len(password) > high:
            raise ValidationError(f"密码不能超过 {high} 个字符", code="password_too_long")

    def get_help_text(self):
        return f"至少 {policy()['min_length']} 个字符"


class CharacterClassValidator:
    def validate(self, password, user=None):
        need = policy()["min_classes"]
        have = sum(1 for _, rx in CLASSES if rx.search(password))
        # Long passphrases (≥ 20 characters) are accepted without composition rules (ASVS 2.1.9).
        if have < need and len(password) < 20:
            raise ValidationError(
                f"密码需包含大写字母、小写字母、数字、特殊字符中的至少 {need} 类", code="password_classes"
            )

    def get_help_text(self):
        return f"包含大写字母、小写字母、数字、特殊字符中的至少 {policy()['min_classes']} 类"


class CommonPasswordValidator(django_validators.CommonPasswordValidator):
    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError:
            raise ValidationError("该密码过于常见，容易被猜中，请换一个", code="password_too_common")

    def get_help_text(self):
        return "不能是常见密码"


class UserAttributeValidator(django_validators.UserAttributeSimilarityValidator):
    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError:
            raise ValidationError("密码与账号信息过于相似", code="password_too_similar")

    def get_help_text(self):
        return "不能与账号信息相似"


class HistoryValidator:
    def validate(self, password, user=None):
        if user is None or not getattr(user, "pk", None):
            return
        keep = policy()["history"]
        recent = [user.password] + list(user.password_history.values_list("password", flat=True)[:keep])
        if any(encoded and check_password(password, encoded) for encoded in recent[:keep]):
            raise ValidationError(f"不能使用最近 {keep} 次用过的密码", code="password_reused")

    def get_help_text(self):
        return f"不能与最近 {policy()['history']} 次密码相同"
