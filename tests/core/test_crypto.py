"""Sensitive fields are SM4-GCM ciphertext at rest, tamper-evident, searchable by blind index only."""

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


# Production settings refusing a missing or default secret: tests/security/test_settings.py.


# -- properties of the provider (battery T5d) --------------------------------------------------------------------

from hypothesis import given, settings as hsettings, strategies as st  # noqa: E402


@given(st.text(max_size=300), st.sampled_from(["member.id_number", "member.phone", "member.address"]))
@hsettings(max_examples=300, deadline=None)
def test_sm4_gcm_round_trip_for_any_text(text, context):
    crypto.reset_provider()
    p = crypto.provider()
    token = p.encrypt(text, context)
    assert p.decrypt(token, context) == text
    assert len(text) < 8 or text not in token


@given(st.text(min_size=1, max_size=60), st.data())
@hsettings(max_examples=300, deadline=None)
def test_flipping_any_bit_of_the_ciphertext_is_detected(text, data):
    import base64

    p = crypto.provider()
    prefix, key_id, body = p.encrypt(text, "member.phone").split(":", 2)
    raw = bytearray(base64.b64decode(body))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(crypto.DecryptionError):
        p.decrypt(f"{prefix}:{key_id}:{base64.b64encode(bytes(raw)).decode()}", "member.phone")


@pytest.mark.parametrize("mangle", [
    lambda t: t.replace("sm4gcm:", "sm4cbc:", 1),
    lambda t: t.replace(":k1:", ":k9:", 1),
    lambda t: t[: t.rindex(":") + 1] + "not base64 !!",
    lambda t: t[: t.rindex(":") + 1] + "AAAA",
    lambda t: t.split(":", 1)[1],
    lambda t: "",
])
def test_malformed_ciphertext_is_a_decryption_error_not_a_crash(mangle):
    p = crypto.provider()
    token = p.encrypt("13812345678", "member.phone")
    bad = mangle(token)
    if bad == "":
        assert Member._meta.get_field("phone").from_db_value("", None, connection) == ""
        return
    with pytest.raises(crypto.DecryptionError):
        p.decrypt(bad, "member.phone")


def test_ciphertext_from_another_deployment_key_does_not_decrypt(settings):
    settings.DATA_KEY = "00" * 16
    crypto.reset_provider()
    token = crypto.provider().encrypt("110101199001011234", "member.id_number")
    settings.DATA_KEY = "11" * 16
    crypto.reset_provider()
    assert crypto.provider().ring.current == "env"  # same key id, different key
    with pytest.raises(crypto.DecryptionError):
        crypto.provider().decrypt(token, "member.id_number")


def test_blind_index_is_deterministic_keyed_and_separated_by_field():
    p = crypto.provider()
    a = p.blind_index("110101199001011234", "member.id_number")
    assert a == p.blind_index("110101199001011234", "member.id_number")
    assert a != p.blind_index("110101199001011235", "member.id_number")
    assert a != p.blind_index("110101199001011234", "member.phone")
    assert len(a) == 64 and "110101" not in a
    other = crypto.SoftwareProvider(crypto.KeyRing.generate())
    assert other.blind_index("110101199001011234", "member.id_number") != a


def test_the_blind_index_column_is_unique_in_the_database(world):
    from django.db import IntegrityError, transaction

    target = Member.objects.get(pk=world.members["BR2"][0].pk)
    clone = Member.objects.get(pk=world.members["BR3"][0].pk)
    clone.id_number_index = target.id_number_index
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save(update_fields=["id_number_index"])


def test_duplicate_id_number_in_another_spelling_is_still_a_duplicate(world):
    existing = world.members["BR2"][0].id_number
    for spelling in (existing.lower(), f"  {existing} "):
        with pytest.raises(ValidationError) as exc:
            actions.do_create_member(data=member_data(id_number=spelling), org=world.br1, actor=world.secretary)
        assert exc.value.message_dict["id_number"] == ["该公民身份号码已登记在党员档案中，不能重复录入"]


def test_the_generated_key_file_is_readable_by_its_owner_only(settings, tmp_path):
    import stat

    settings.KEY_FILE = tmp_path / "sub" / "keys.json"
    crypto.reset_provider()
    crypto.provider()
    assert stat.S_IMODE(settings.KEY_FILE.stat().st_mode) == 0o600


def test_a_demo_key_file_is_reused_not_regenerated(settings):
    crypto.reset_provider()
    token = crypto.provider().encrypt("x", "c")
    crypto.reset_provider()
    assert crypto.provider().decrypt(token, "c") == "x"


# -- no plaintext anywhere in the database (battery T12, commit-sized) ------------------------------------------

def all_database_text():
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                chunks.append(" ".join(str(v) for v in row))
    return "\n".join(chunks)


def test_no_table_holds_a_plaintext_id_number_phone_or_address(world, client):
    datas = [member_data(phone=f"1391234{i:04d}", address=f"北京市西城区某胡同{i}号院") for i in range(5)]
    members = [actions.do_create_member(data=d, org=world.br1, actor=world.secretary) for d in datas]
    actions.do_update_member(members[0], data={"phone": "13699990000"}, actor=world.secretary)
    client.force_login(world.secretary)
    client.post(f"/members/{members[1].pk}/reveal/", {"reason": "核对"})
    text = all_database_text()
    plaintexts = [d["id_number"] for d in datas] + [d["phone"] for d in datas] + ["13699990000"]
    plaintexts += [d["address"] for d in datas] + [m.id_number for ms in world.members.values() for m in ms]
    leaked = [p for p in plaintexts if p in text]
    assert leaked == []


def test_the_sqlite_file_holds_no_plaintext(world):
    if connection.vendor != "sqlite":
        pytest.skip("file scan of the embedded database")
    from pathlib import Path

    datas = [member_data() for _ in range(5)]
    for d in datas:
        actions.do_create_member(data=d, org=world.br1, actor=world.secretary)
    name = Path(connection.settings_dict["NAME"])
    blob = b"".join(p.read_bytes() for p in (name, Path(f"{name}-wal")) if p.exists())
    assert blob, "the test database must be a real file"
    for d in datas:
        assert d["id_number"].encode() not in blob and d["phone"].encode() not in blob
