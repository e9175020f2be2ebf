"""Attachments and photos of meeting records: the type is decided by the content (not the name), the size is
limited, and the file is stored under the data directory by an opaque name, outside the web root."""

from __future__ import annotations

import hashlib
import io
import uuid
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.accounts import roles
from dangjian.core import audit

from .actions import locked
from .models import Meeting, MeetingFile

PHOTO_TYPES = {"image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",)}
DOCUMENT_TYPES = {
    "application/pdf": (".pdf",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    **PHOTO_TYPES,
}
MAX_FILES_PER_MEETING = 30


def sniff(head: bytes, data: bytes) -> str | None:
    """The content type the bytes really are, among those accepted; None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return None


def storage_dir() -> Path:
    path = Path(settings.ORGLIFE_FILE_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(f: MeetingFile) -> Path:
    return storage_dir() / f.stored_name


@transaction.atomic
def do_add_file(meeting, *, upload, kind: str, actor) -> MeetingFile:
    """Attach a file or photo to a meeting record; refused (nothing stored) when its content is not of an
    accepted type, its name does not match its content, or it is too large."""
    meeting = locked(Meeting, meeting, actor, roles.ORGLIFE_MANAGE)
    if kind not in MeetingFile.Kind.values:
        raise ValidationError({"kind": "请选择附件或照片"})
    if upload is None:
        raise ValidationError({"file": "请选择文件"})
    limit = settings.ORGLIFE_FILE_MAX_MB * 1024 * 1024
    if upload.size > limit:
        raise ValidationError({"file": f"文件不能超过 {settings.ORGLIFE_FILE_MAX_MB} MB"})
    if MeetingFile.objects.filter(meeting=meeting).count() >= MAX_FILES_PER_MEETING:
        raise ValidationError({"file": f"每次会议最多上传 {MAX_FILES_PER_MEETING} 个文件"})
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError({"file": f"文件不能超过 {settings.ORGLIFE_FILE_MAX_MB} MB"})
    allowed = PHOTO_TYPES if kind == MeetingFile.Kind.PHOTO else DOCUMENT_TYPES
    content_type = sniff(data[:16], data)
    if content_type not in allowed:
        raise ValidationError({"file": "照片只接受 JPEG、PNG 图片" if kind == MeetingFile.Kind.PHOTO else
                               "附件只接受 PDF、Word（.docx）、Excel（.xlsx）文件和 JPEG、PNG 图片"})
    name = Path(getattr(upload, "name", "") or "file").name[:200]
    if not name.lower().endswith(allowed[content_type]):
        raise ValidationError({"file": f"文件名后缀与文件内容不符（内容为 {allowed[content_type][0]} 文件）"})
    stored = uuid.uuid4().hex
    record = MeetingFile.objects.create(meeting=meeting, kind=kind, name=name, stored_name=stored,
                                        content_type=content_type, size=len(data),
                                        sha256=hashlib.sha256(data).hexdigest(), uploaded_by=actor)
    target = storage_dir() / stored
    target.write_bytes(data)
    try:
        audit.record("orglife.file", actor=actor, obj=meeting, after={"file": record.pk, "name": name, "kind": kind,
                                                                      "size": len(data), "sha256": record.sha256},
                     detail=f"上传{record.get_kind_display()}：{name}")
    except Exception:
        target.unlink(missing_ok=True)
        raise
    return record
