"""placeholder"""
from django.core.exceptions import ValidationError

from .choices import DocumentKind  # noqa: F401


def validate_template(content: bytes) -> None:
    if not content:
        raise ValidationError({"file": "请上传 .docx 模板"})
