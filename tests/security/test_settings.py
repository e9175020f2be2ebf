"""Production settings refuse to start without their secrets, and harden cookies and transport (SECURITY.md J)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from dangjian.config.settings import DEMO_SECRET_KEY

GOOD_SECRET = "k3y-" + "x9Qz" * 14


def run_settings(tmp_path, code="from django.conf import settings; settings.INSTALLED_APPS", **env):
    base = {"DJANGO_SETTINGS_MODULE": "dangjian.config.settings", "DANGJIAN_DATA_DIR": str(tmp_path),
            "PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8"}
    return subprocess.run([sys.executable, "-c", "import django\n" + code], env={**base, **env},
                          capture_output=True, text=True, encoding="utf-8", timeout=60)


@pytest.mark.parametrize("secret", ["", DEMO_SECRET_KEY, "short-secret", "x" * 49])
def test_production_refuses_a_missing_default_or_short_secret_with_a_chinese_message(tmp_path, secret):
    result = run_settings(tmp_path, DANGJIAN_ENV="production", DANGJIAN_SECRET_KEY=secret)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "生产环境必须通过 DANGJIAN_SECRET_KEY 设置至少 50 个字符的随机密钥" in result.stderr


def test_production_starts_with_a_strong_secret_and_hardens_cookies(tmp_path):
    code = ("from django.conf import settings as s; import json; print(json.dumps({k: getattr(s, k) for k in ["
            "'DEBUG','SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE','SECURE_HSTS_SECONDS','SECURE_SSL_REDIRECT',"
            "'SESSION_COOKIE_HTTPONLY','X_FRAME_OPTIONS','SECURE_CONTENT_TYPE_NOSNIFF','SESSION_COOKIE_AGE']}))")
    result = run_settings(tmp_path, code, DANGJIAN_ENV="production", DANGJIAN_SECRET_KEY=GOOD_SECRET,
                          DANGJIAN_DEBUG="1")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["DEBUG"] is False  # DANGJIAN_DEBUG cannot switch debugging on in production
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"] and values["SESSION_COOKIE_HTTPONLY"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000 and values["SECURE_SSL_REDIRECT"]
    assert values["X_FRAME_OPTIONS"] == "DENY" and values["SECURE_CONTENT_TYPE_NOSNIFF"]
    assert values["SESSION_COOKIE_AGE"] <= 12 * 3600


def test_an_unknown_environment_name_is_refused(tmp_path):
    result = run_settings(tmp_path, DANGJIAN_ENV="prod")
    assert result.returncode != 0 and "DANGJIAN_ENV" in result.stderr


@pytest.mark.parametrize("name", ["DANGJIAN_PASSWORD_MIN_LENGTH", "DANGJIAN_LOGIN_MAX_FAILURES",
                                  "DANGJIAN_SESSION_IDLE_MINUTES"])
def test_a_policy_number_that_is_not_a_number_stops_the_start(tmp_path, name):
    result = run_settings(tmp_path, **{name: "eight"})
    assert result.returncode != 0 and name in result.stderr


def test_production_deploy_check_refuses_sqlite_and_a_missing_data_key(tmp_path):
    code = ("django.setup()\nfrom django.core.management import call_command\n"
            "call_command('check', '--deploy', '--fail-level', 'ERROR')")
    result = run_settings(tmp_path, code, DANGJIAN_ENV="production", DANGJIAN_SECRET_KEY=GOOD_SECRET)
    assert result.returncode != 0
    assert "dangjian.E002" in result.stderr and "dangjian.E003" in result.stderr


def test_argon2_is_the_first_password_hasher_in_the_settings_module():
    from dangjian.config import settings as module

    assert module.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_debug_is_off_unless_asked_for():
    from dangjian.config import settings as module

    assert module.DEBUG is False


def test_the_data_key_comes_from_the_environment_and_no_key_file_is_written(tmp_path):
    code = ("django.setup()\nfrom dangjian.core import crypto\np = crypto.provider()\n"
            "t = p.encrypt('110101199001011234', 'member.id_number')\n"
            "print(p.ring.current, t.split(':')[1], p.decrypt(t, 'member.id_number'))")
    result = run_settings(tmp_path, code, DANGJIAN_ENV="production", DANGJIAN_SECRET_KEY=GOOD_SECRET,
                          DANGJIAN_DATA_KEY="0123456789abcdef" * 2)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["env", "env", "110101199001011234"]
    assert not (tmp_path / "keys.json").exists()


def test_production_without_any_data_key_refuses_to_encrypt(tmp_path):
    code = "django.setup()\nfrom dangjian.core import crypto\ncrypto.provider()"
    result = run_settings(tmp_path, code, DANGJIAN_ENV="production", DANGJIAN_SECRET_KEY=GOOD_SECRET)
    assert result.returncode != 0 and "生产环境缺少数据加密密钥" in result.stderr
    assert not (tmp_path / "keys.json").exists()
