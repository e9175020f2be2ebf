"""Sensitive fields are SM4-GCM ciphertext at rest, tamper-evident, searchable by blind index only."""

import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection

from factories import member_data
from dangjian.core import crypto
from dangjian.members import actions
from dangjian.members.models import Member


def raw_row(member):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, address, id_number_index FROM members_member WHERE id = %s",
                       [member.pk])
        return cursor.fetchone()


def test_sm4_gcm_round_trip_uses_a_fresh_nonce_each_time():
    p = crypto.provider()
    a, b = p.encrypt("110101198001011234", "ctx"), p.encrypt("110101198001011234", "ctx")
    assert a != b and p.decrypt(a, "ctx") == p.decrypt(b, "ctx") == "110101198001011234"


def test_database_holds_ciphertext_not_plaintext(world):
    data = member_data()
    member = actions.do_create_member(data=data, org=world.br1, actor=world.secretary)
    row = raw_row(member)
    joined = " ".join(row)
    assert data["id_number"] not in joined and data["phone"] not in joined and "东华门" not in joined
    assert all(value.startswith("sm4gcm:") for value in row[:3])
    assert Member.objects.get(pk=member.pk).id_number == data["id_number"]


def test_tampered_ciphertext_fails_to_decrypt(world):
    member = world.members["BR1"][0]
    value = raw_row(member)[0]
    flipped = value[:-6] + ("A" if value[-6] != "A" else "B") + value[-5:]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE members_member SET id_number = %s WHERE id = %s", [flipped, member.pk])
    with pytest.raises(crypto.DecryptionError):
        Member.objects.get(pk=member.pk)


def test_ciphertext_copied_into_another_column_fails_to_decrypt(world):
    member = world.members["BR1"][0]
    id_cipher = raw_row(member)[0]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE members_member SET phone = %s WHERE id = %s", [id_cipher, member.pk])
    with pytest.raises(crypto.DecryptionError):
        Member.objects.get(pk=member.pk)


def test_blind_index_finds_equal_values_and_refuses_duplicates(world):
    existing = world.members["BR2"][0]
    count = Member.objects.count()
    with pytest.raises(ValidationError) as exc:
        actions.do_create_member(data=member_data(id_number=existing.id_number), org=world.br1, actor=world.secretary)
    assert "已登记" in exc.value.message_dict["id_number"][0]
    assert Member.objects.count() == count


def test_keys_from_the_environment_variable_are_used(settings, world):
    settings.DATA_KEY = "00112233445566778899aabbccddeeff"
    crypto.reset_provider()
    assert crypto.provider().ring.current == "env"
    member = actions.do_create_member(data=member_data(), org=world.br1, actor=world.secretary)
    assert raw_row(member)[0].startswith("sm4gcm:env:")


def test_a_short_environment_key_is_refused(settings):
    settings.DATA_KEY = "0011"
    crypto.reset_provider()
    with pytest.raises(ImproperlyConfigured):
        crypto.provider()


def test_production_without_a_data_key_refuses(settings, tmp_path):
    settings.PRODUCTION = True
    settings.KEY_FILE = tmp_path / "missing.json"
    crypto.reset_provider()
    with pytest.raises(ImproperlyConfigured, match="缺少数据加密密钥"):
        crypto.provider()


def test_production_settings_refuse_a_missing_or_default_secret(tmp_path):
    code = "import django; from django.conf import settings; settings.INSTALLED_APPS"
    for secret in ("", "demo-insecure-secret-key-do-not-use-in-production-7f3a9c2e1b", "short"):
        env = {"DANGJIAN_ENV": "production", "DANGJIAN_SECRET_KEY": secret, "DANGJIAN_DATA_DIR": str(tmp_path),
               "DJANGO_SETTINGS_MODULE": "dangjian.config.settings", "PATH": "/usr/bin:/bin"}
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert result.returncode != 0 and "DANGJIAN_SECRET_KEY" in result.stderr
