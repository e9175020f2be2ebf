"""Structural rules of the organisation tree, each with a reason a secretary understands."""

from django.core.exceptions import ValidationError

from .choices import ALLOWED_CHILDREN, ROOT_TYPES, OrgType


def check_parent_type(org_type: str, parent) -> None:
    label = OrgType(org_type).label
    if parent is None:
        if org_type not in ROOT_TYPES:
            raise ValidationError({"parent": f"{label}必须设在上级党组织之下"})
        return
    if org_type not in ALLOWED_CHILDREN[parent.org_type]:
        parent_label = OrgType(parent.org_type).label
        if not ALLOWED_CHILDREN[parent.org_type]:
            reason = f"{parent_label}之下不能再设党组织"
        else:
            allowed = "、".join(OrgType(t).label for t in sorted(ALLOWED_CHILDREN[parent.org_type]))
            reason = f"{parent_label}之下不能设立{label}，只能设立：{allowed}"
        raise ValidationError({"parent": reason})
    if not parent.is_active:
        raise ValidationError({"parent": "上级党组织已撤销，不能在其下设立组织"})
