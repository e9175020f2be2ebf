"""Signed exchange packages between levels (a branch install reporting to a district install).

A package is a zip holding `manifest.json` and one encrypted JSON file per record kind. The manifest
names the format version, the source, the record counts and the SM3 digest of each file, and carries an
HMAC-SM3 over all of it under the key shared by the two instances. The record files are SM4-GCM
encrypted under a key derived from the same shared key, since they hold personal data. A package whose
MAC, digests, counts or structure do not check out is refused before anything is stored.

The format is documented with JSON Schemas under docs/exchange/.
"""

from __future__ import annotations

import datetime as dt
import hmac as std_hmac
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from dangjian.accounts import roles
from dangjian.core.crypto import hmac_sm3
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member
from dangjian.orgs.choices import OrgStatus
from dangjian.orgs.models import Organization

from .columns import MEMBER_COLUMNS, ORG_COLUMNS

FORMAT = "dangjian-exchange"
VERSION = 1
KINDS = ("organizations", "members")
PEER_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
NONCE = 12
TAG = 16


class PackageRefused(Exception):
    """The package is not applied at all; the message says why, in Chinese."""


# -- keys shared per pair of instances ---------------------------------------------------------------------

def key_file() -> Path:
    return Path(settings.EXCHANGE_KEY_FILE)


def load_keys() -> dict[str, bytes]:
    keys = {}
    raw = os.environ.get("DANGJIAN_EXCHANGE_KEYS", "")
    for item in filter(None, (part.strip() for part in raw.split(","))):
        name, _, value = item.partition(":")
        keys[name] = bytes.fromhex(value)
    path = key_file()
    if path.exists():
        keys.update({k: bytes.fromhex(v) for k, v in json.loads(path.read_text()).items()})
    for name, key in keys.items():
        if len(key) < 16:
            raise ImproperlyConfigured(f"交换密钥“{name}”太短（至少 128 位）")
    return keys


def add_key(peer: str, key: bytes) -> None:
    if not PEER_NAME.match(peer):
        raise ValueError("对端名称只能包含字母、数字、点、下划线和连字符")
    path = key_file()
    current = json.loads(path.read_text()) if path.exists() else {}
    current[peer] = key.hex()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path.with_suffix(".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(current, fh, indent=2)
    os.replace(path.with_suffix(".tmp"), path)


def _keys_for(peer: str) -> tuple[bytes, bytes]:
    keys = load_keys()
    if peer not in keys:
        raise PackageRefused(f"本机没有与“{peer}”共享的交换密钥，请先用 dangjian exchange key add 配置")
    shared = keys[peer]
    return hmac_sm3(shared, b"dangjian exchange encryption")[:16], hmac_sm3(shared, b"dangjian exchange mac")


def sm3(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def _canonical(manifest: dict) -> bytes:
    body = {k: v for k, v in manifest.items() if k != "mac"}
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _encrypt(key: bytes, data: bytes, name: str) -> bytes:
    nonce = os.urandom(NONCE)
    encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(name.encode())
    return nonce + encryptor.update(data) + encryptor.finalize() + encryptor.tag


def _decrypt(key: bytes, blob: bytes, name: str) -> bytes:
    nonce, body, tag = blob[:NONCE], blob[NONCE:-TAG], blob[-TAG:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(name.encode())
    try:
        return decryptor.update(body) + decryptor.finalize()
    except Exception:
        raise PackageRefused("数据包内容解密失败（被改动或密钥不匹配），未导入任何数据") from None


# -- records -----------------------------------------------------------------------------------------------

def _value(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def organization_record(org: Organization, parent_code: str) -> dict:
    record = {c.key: _value(getattr(org, c.key)) for c in ORG_COLUMNS if c.key != "parent"}
    record["parent"] = parent_code
    return record


def member_record(member: Member) -> dict:
    record = {c.key: _value(getattr(member, c.key)) for c in MEMBER_COLUMNS if c.key != "org"}
    record["org"] = member.org.code
    return record


def collect(root: Organization, since: dt.date | None, actor) -> dict[str, list[dict]]:
    """The organisations and members of `root`'s subtree that `actor` may see."""
    orgs = list(Organization.objects.restrict(actor, roles.ORG_VIEW)
                .filter(path__startswith=root.path, status=OrgStatus.ACTIVE).order_by("path"))
    by_path = {o.path: o for o in orgs}
    organizations = []
    for org in orgs:
        parent = by_path.get(org.path[: -Organization.steplen]) if org.pk != root.pk else None
        organizations.append(organization_record(org, parent.code if parent else ""))
    members = (Member.objects.restrict(actor, roles.MEMBER_VIEW)
               .filter(org__path__startswith=root.path, status=MemberStatus.NORMAL).select_related("org"))
    if since is not None:
        members = members.filter(updated_at__date__gte=since)
    return {"organizations": organizations,
            "members": [member_record(m) for m in members.order_by("org__path", "id").iterator(chunk_size=2000)]}


# -- writing and reading -------------------------------------------------------------------------------------

def write(root: Organization, *, peer: str, actor, since: dt.date | None = None) -> tuple[bytes, dict]:
    enc_key, mac_key = _keys_for(peer)
    records = collect(root, since, actor)
    files, blobs = {}, {}
    for kind in KINDS:
        name = f"{kind}.json"
        plain = json.dumps(records[kind], ensure_ascii=False, separators=(",", ":")).encode()
        blobs[name] = _encrypt(enc_key, plain, name)
        files[name] = {"kind": kind, "count": len(records[kind]), "bytes": len(blobs[name]), "sm3": sm3(blobs[name])}
    manifest = {
        "format": FORMAT, "version": VERSION, "peer": peer, "instance": settings.INSTANCE_NAME,
        "created_at": timezone.now().isoformat(timespec="seconds"),
        "org": {"code": root.code, "name": root.name}, "since": since.isoformat() if since else None,
        "files": files,
    }
    manifest["mac"] = hmac_sm3(mac_key, _canonical(manifest)).hex()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        for name, blob in blobs.items():
            archive.writestr(name, blob)
    return buffer.getvalue(), manifest


@dataclass
class Package:
    manifest: dict
    records: dict[str, list[dict]]


def read(data: bytes) -> Package:
    """Verify everything, then decrypt; any doubt refuses the whole package."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "manifest.json" not in names:
                raise PackageRefused("不是数据交换包：缺少 manifest.json")
            manifest = json.loads(archive.read("manifest.json"))
            blobs = {name: archive.read(name) for name in names if name != "manifest.json"}
    except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile):
        raise PackageRefused("数据包不完整或已损坏（可能在传输中被截断），未导入任何数据") from None
    except (ValueError, KeyError):
        raise PackageRefused("数据包清单格式错误，未导入任何数据") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PackageRefused("不是数据交换包（格式标识不符）")
    if manifest.get("version") != VERSION:
        raise PackageRefused(f"数据包格式版本 {manifest.get('version')} 不受支持（本机支持版本 {VERSION}），请升级后再导入")
    enc_key, mac_key = _keys_for(str(manifest.get("peer", "")))
    expected = hmac_sm3(mac_key, _canonical(manifest)).hex()
    if not std_hmac.compare_digest(expected, str(manifest.get("mac", ""))):
        raise PackageRefused("数据包校验失败（清单被改动，或双方的交换密钥不一致），未导入任何数据")
    files = manifest.get("files") or {}
    if set(files) != set(blobs) or {f.get("kind") for f in files.values()} != set(KINDS):
        raise PackageRefused("数据包文件与清单不符（缺少或多出文件），未导入任何数据")
    records = {}
    for name, meta in files.items():
        blob = blobs[name]
        if len(blob) != meta.get("bytes") or sm3(blob) != meta.get("sm3"):
            raise PackageRefused(f"数据包中的 {name} 与清单不符（被截断或改动），未导入任何数据")
        items = json.loads(_decrypt(enc_key, blob, name))
        if not isinstance(items, list) or len(items) != meta.get("count"):
            raise PackageRefused(f"数据包中的 {name} 记录数与清单不符，未导入任何数据")
        records[meta["kind"]] = items
    return Package(manifest=manifest, records=records)


def package_rows(job):
    """The records of one kind as import rows, for the same validation and commit as a spreadsheet."""
    from .importing import SourceRow, Table, load_file
    from .models import ImportJob

    package = read(load_file(job))
    columns = MEMBER_COLUMNS if job.kind == ImportJob.Kind.MEMBERS else ORG_COLUMNS
    records = package.records["members" if job.kind == ImportJob.Kind.MEMBERS else "organizations"]
    headers = {c.key: c.header for c in columns}
    rows = [SourceRow(number=index + 2, cells={c.key: record.get(c.key) for c in columns},
                      original=[record.get(c.key) for c in columns])
            for index, record in enumerate(records)]
    ImportJob.objects.filter(pk=job.pk).update(
        header_map={"headers": headers, "original": [c.header for c in columns], "ignored": []},
        total_rows=len(rows), validated_rows=0)
    job.refresh_from_db()
    return Table(headers=headers, original_headers=[c.header for c in columns], rows=rows)
