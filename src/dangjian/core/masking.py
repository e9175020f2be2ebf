"""Masking of personal data for lists, logs and the API (PIPL; 等保 个人信息保护)."""


def mask_middle(value: str | None) -> str:
    """Keep the first 3 and last 4 characters: 110***********1234, 138****5678."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


mask_id_number = mask_middle
mask_phone = mask_middle


def mask_address(value: str | None) -> str:
    if not value:
        return ""
    keep = min(6, max(len(value) // 3, 1))
    return value[:keep] + "****"
