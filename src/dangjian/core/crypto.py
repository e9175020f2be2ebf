"""Cryptographic provider: SM4-GCM field encryption, HMAC-SM3 blind indexes and audit chaining.

All protected-data operations go through `provider()`, so that a certified cryptographic module
(GB/T 37092 level 2+) can replace this software implementation in production (密评).
"""

from __future__ import annotations

import base64
import hmac as std_hmac
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

CIPHERTEXT_PREFIX = "sm4gcm"
NONCE_BYTES = 12
TAG_BYTES = 16


class DecryptionError(Exception):
    """Ciphertext was altered, or was written with a key this deployment does not hold."""


def hmac_sm3(key: bytes, data: bytes) -> bytes:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize()


@dataclass
class KeyRing:
    current: str
    data_keys: dict[str, bytes]  # key id -> 16-byte SM4 key
    index_key: bytes  # blind index key; never rotated with the data key
    audit_key: bytes  # audit chain key; kept apart from the data keys

    @classmethod
    def generate(cls) -> "KeyRing":
        return cls(
            current="k1",
            data_keys={"k1": secrets.token_bytes(16)},
            index_key=secrets.token_bytes(32),
            audit_key=secrets.token_bytes(32),
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "current": self.current,
                "data_keys": {k: v.hex() for k, v in self.data_keys.items()},
                "index_key": self.index_key.hex(),
                "audit_key": self.audit_key.hex(),
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> "KeyRing":
        raw = json.loads(text)
        ring = cls(
            current=raw["current"],
            data_keys={k: bytes.fromhex(v) for k, v in raw["data_keys"].items()},
            index_key=bytes.fromhex(raw["index_key"]),
            audit_key=bytes.fromhex(raw["audit_key"]),
        )
        if ring.current not in ring.data_keys or any(len(k) != 16 for k in ring.data_keys.values()):
            raise ImproperlyConfigured("密钥文件格式错误：当前数据密钥缺失或长度不是 128 位")
        return ring

    @classmethod
    def from_master_hex(cls, master_hex: str) -> "KeyRing":
        """Derive the three keys from one DANGJIAN_DATA_KEY (≥ 32 hex digits)."""
        try:
            master = bytes.fromhex(master_hex)
        except ValueError as exc:
            raise ImproperlyConfigured("DANGJIAN_DATA_KEY 必须是十六进制字符串") from exc
        if len(master) < 16:
            raise ImproperlyConfigured("DANGJIAN_DATA_KEY 至少需要 32 个十六进制字符（128 位）")
        return cls(
            current="env",
            data_keys={"env": hmac_sm3(master, b"dangjian data key")[:16]},
            index_key=hmac_sm3(master, b"dangjian blind index key"),
            audit_key=hmac_sm3(master, b"dangjian audit chain key"),
        )


class SoftwareProvider:
    """SM4-GCM / HMAC-SM3 in software (pyca/cryptography)."""

    def __init__(self, ring: KeyRing):
        self.ring = ring

    def encrypt(self, plaintext: str, context: str) -> str:
        key_id = self.ring.current
        nonce = os.urandom(NONCE_BYTES)
        encryptor = Cipher(algorithms.SM4(self.ring.data_keys[key_id]), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(context.encode())
        body = encryptor.update(plaintext.encode()) + encryptor.finalize()
        token = base64.b64encode(nonce + body + encryptor.tag).decode()
        return f"{CIPHERTEXT_PREFIX}:{key_id}:{token}"

    def decrypt(self, ciphertext: str, context: str) -> str:
        try:
            prefix, key_id, token = ciphertext.split(":", 2)
            raw = base64.b64decode(token, validate=True)
            key = self.ring.data_keys[key_id]
        except (ValueError, KeyError) as exc:
            raise DecryptionError("密文格式错误或密钥不存在") from exc
        if prefix != CIPHERTEXT_PREFIX or len(raw) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("密文格式错误")
        nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(context.encode())
        try:
            return (decryptor.update(body) + decryptor.finalize()).decode()
        except Exception as exc:  # InvalidTag: the stored value was tampered with
            raise DecryptionError("密文完整性校验失败") from exc

    def encrypt_bytes(self, data: bytes, context: str) -> bytes:
        """A whole file (an upload waiting for import): key id, nonce, ciphertext and tag in one blob."""
        key_id = self.ring.current
        nonce = os.urandom(NONCE_BYTES)
        encryptor = Cipher(algorithms.SM4(self.ring.data_keys[key_id]), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(context.encode())
        body = encryptor.update(data) + encryptor.finalize()
        return f"{CIPHERTEXT_PREFIX}:{key_id}:".encode() + nonce + body + encryptor.tag

    def decrypt_bytes(self, blob: bytes, context: str) -> bytes:
        try:
            prefix, key_id, raw = blob.split(b":", 2)
            key = self.ring.data_keys[key_id.decode()]
        except (ValueError, KeyError, UnicodeDecodeError) as exc:
            raise DecryptionError("密文格式错误或密钥不存在") from exc
        if prefix != CIPHERTEXT_PREFIX.encode() or len(raw) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("密文格式错误")
        nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
        decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(context.encode())
        try:
            return decryptor.update(body) + decryptor.finalize()
        except Exception as exc:
            raise DecryptionError("密文完整性校验失败") from exc

    def blind_index(self, value: str, context: str) -> str:
        return hmac_sm3(self.ring.index_key, f"{context}\x1f{value}".encode()).hex()

    def audit_mac(self, data: bytes) -> str:
        return hmac_sm3(self.ring.audit_key, data).hex()

    def audit_mac_matches(self, data: bytes, mac: str) -> bool:
        return std_hmac.compare_digest(self.audit_mac(data), mac)


_lock = threading.Lock()
_provider: SoftwareProvider | None = None


def load_key_ring() -> KeyRing:
    if settings.DATA_KEY:
        return KeyRing.from_master_hex(settings.DATA_KEY)
    path = Path(settings.KEY_FILE)
    if path.exists():
        return KeyRing.from_json(path.read_text())
    if settings.PRODUCTION:
        raise ImproperlyConfigured(
            f"生产环境缺少数据加密密钥：请设置 DANGJIAN_DATA_KEY 或提供密钥文件 {path}"
        )
    # Demo and development: create a key file in the data folder, outside version control.
    ring = KeyRing.generate()
    write_key_file(path, ring)
    return ring


def write_key_file(path: Path, ring: KeyRing) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(ring.to_json())
    os.replace(tmp, path)


def provider() -> SoftwareProvider:
    global _provider
    if _provider is None:
        with _lock:
            if _provider is None:
                _provider = SoftwareProvider(load_key_ring())
    return _provider


def reset_provider() -> None:
    """Forget the loaded keys (after a rotation, or between tests)."""
    global _provider
    with _lock:
        _provider = None
