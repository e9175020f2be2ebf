"""Exchange packages between levels: verified, refused when tampered or truncated, applied idempotently."""
from __future__ import annotations

import io
import json
import secrets
import subprocess
import sys
import zipfile

import pytest
from django.core.exceptions import ValidationError

from dangjian.core import audit
from dangjian.exchange import actions, package
from dangjian.exchange.models import ImportJob
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

pytestmark = pytest.mark.django_db
PEER = "dongcheng-d01"


@pytest.fixture
def shared_key():
    key = secrets.token_bytes(32)
    package.add_key(PEER, key)
    return key


def branch_install(tmp_path, key: bytes) -> bytes:
    """A separate instance (its own database and keys) seeds a demo tree and exports one 街道 to us."""
    folder = tmp_path / "branch-install"
    folder.mkdir()
    env = {**__import__("os").environ, "DANGJIAN_DATA_DIR": str(folder),
           "DANGJIAN_DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}", "DANGJIAN_USER": "demo_organizer",
           "DANGJIAN_INSTANCE_NAME": "branch-install"}
    env.pop("DANGJIAN_KEY_FILE", None)

    def run(*args):
        result = subprocess.run([sys.executable, "-m", "dangjian.cli", *args], env=env, capture_output=True,
                                text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    run("migrate", "-v0")
    run("seed", "--members", "60")
    run("exchange", "key", "add", PEER, key.hex())
    out = run("exchange", "export", str(folder / "package.zip"), "--org", "D01-S01", "--peer", PEER)
    assert "已导出" in out
    return (folder / "package.zip").read_bytes()


def test_package_from_another_install_is_applied_once_and_again_changes_nothing(world, shared_key, tmp_path):
    data = branch_install(tmp_path, shared_key)
    contents = package.read(data)
    orgs, members = contents.records["organizations"], contents.records["members"]
    assert orgs[0]["code"] == "D01-S01" and len(members) > 0
    jobs = actions.do_import_package(data, file_name="package.zip", actor=world.organizer, root_org=world.dist)
    assert [j.state for j in jobs] == [ImportJob.State.DONE, ImportJob.State.DONE], [j.message for j in jobs]
    street = Organization.objects.get(code="D01-S01")
    assert Organization.objects.get_parent(street) == world.dist
    assert Organization.objects.filter(path__startswith=street.path).count() == len(orgs)
    assert Member.objects.filter(org__path__startswith=street.path).count() == len(members)
    sample = members[0]
    stored = Member.objects.get(org__code=sample["org"], name=sample["name"])
    assert (stored.id_number, stored.joined_on.isoformat()) == (sample["id_number"], sample["joined_on"])

    again = actions.do_import_package(data, file_name="package.zip", actor=world.organizer, root_org=world.dist)
    assert [(j.new_count, j.updated_count, j.unchanged_count) for j in again] == [
        (0, 0, len(orgs)), (0, 0, len(members))]
    assert audit.verify().ok


def rezip(data: bytes, change) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    change(files)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, blob in files.items():
            archive.writestr(name, blob)
    return out.getvalue()


def refused(world, data):
    org_count, member_count = Organization.objects.count(), Member.objects.count()
    with pytest.raises(ValidationError) as info:
        actions.do_import_package(data, file_name="p.zip", actor=world.organizer, root_org=world.dist)
    assert (Organization.objects.count(), Member.objects.count()) == (org_count, member_count)
    assert not ImportJob.objects.exists()
    return " ".join(info.value.messages)


def flip(blob: bytes, at: int) -> bytes:
    return blob[:at] + bytes([blob[at] ^ 0x01]) + blob[at + 1:]


def test_tampered_record_file_is_refused_and_nothing_applied(world, shared_key):
    data, _ = package.write(world.sta, peer=PEER, actor=world.organizer)
    assert "与清单不符" in refused(world, rezip(data, lambda f: f.update({"members.json": flip(f["members.json"], 40)})))


def test_tampered_manifest_is_refused(world, shared_key):
    data, _ = package.write(world.sta, peer=PEER, actor=world.organizer)

    def change(files):
        manifest = json.loads(files["manifest.json"])
        manifest["files"]["members.json"]["count"] += 1
        files["manifest.json"] = json.dumps(manifest).encode()

    assert "校验失败" in refused(world, rezip(data, change))


def test_record_file_replaced_with_its_digest_updated_is_still_refused(world, shared_key):
    data, _ = package.write(world.sta, peer=PEER, actor=world.organizer)

    def change(files):
        files["members.json"] = flip(files["members.json"], 40)
        manifest = json.loads(files["manifest.json"])
        manifest["files"]["members.json"]["sm3"] = package.sm3(files["members.json"])
        files["manifest.json"] = json.dumps(manifest).encode()

    assert "校验失败" in refused(world, rezip(data, change))


def test_truncated_package_is_refused(world, shared_key):
    data, _ = package.write(world.sta, peer=PEER, actor=world.organizer)
    assert "不完整" in refused(world, data[: len(data) - 100])


def test_dropped_record_file_is_refused(world, shared_key):
    data, _ = package.write(world.sta, peer=PEER, actor=world.organizer)
    assert "与清单不符" in refused(world, rezip(data, lambda f: f.pop("members.json")))


def test_package_signed_with_another_key_is_refused(world, shared_key):
    data, _ = package.write(world.sta, peer=PEER, actor=world.organizer)
    package.add_key(PEER, secrets.token_bytes(32))
    assert "密钥不一致" in refused(world, data)


def test_package_for_a_peer_without_a_key_is_refused(world, shared_key):
    package.add_key("other", secrets.token_bytes(32))
    data, _ = package.write(world.sta, peer="other", actor=world.organizer)
    key_file = package.key_file()
    keys = json.loads(key_file.read_text())
    keys.pop("other")
    key_file.write_text(json.dumps(keys))
    assert "没有与“other”共享的交换密钥" in refused(world, data)


def test_record_files_carry_no_plaintext_personal_data(world, shared_key):
    data, _ = package.write(world.sta, peer=PEER, actor=world.organizer)
    for member in Member.objects.filter(org__path__startswith=world.sta.path):
        assert member.id_number.encode() not in data
        assert member.name.encode() not in data


def test_packages_match_the_published_json_schemas(world, shared_key):
    import jsonschema
    from pathlib import Path

    docs = Path(__file__).resolve().parents[2] / "docs" / "exchange"
    schema = {name: json.loads((docs / f"{name}.schema.json").read_text())
              for name in ("manifest", "organization", "member")}
    data, manifest = package.write(world.dist, peer=PEER, actor=world.organizer)
    jsonschema.validate(manifest, schema["manifest"])
    contents = package.read(data)
    for record in contents.records["organizations"]:
        jsonschema.validate(record, schema["organization"])
    for record in contents.records["members"]:
        jsonschema.validate(record, schema["member"])
    assert len(contents.records["members"]) == 9
