"""The organisation tree (党组织): a materialised path, so a subtree is one indexed prefix scan."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from dangjian.accounts.scope import restrict
from dangjian.core.models import TimeStampedModel

from .choices import OrgStatus, OrgType, UnitRelation

code_validator = RegexValidator(r"^[A-Za-z0-9_-]{2,32}$", "组织代码只能包含字母、数字、下划线和连字符，长度 2–32 位")


class OrganizationQuerySet(MP_NodeQuerySet):
    def restrict(self, user, perm: str):
        """Organisations the user may see for `perm`: their role assignments become path prefixes."""
        return restrict(self, user, perm, org_field="")


class OrganizationManager(MP_NodeManager):
    def get_queryset(self):
        return OrganizationQuerySet(self.model, using=self._db).order_by("path")

    def restrict(self, user, perm: str):
        return self.get_queryset().restrict(user, perm)


class Organization(MP_Node, TimeStampedModel):
    steplen = 4

    name = models.CharField("组织全称", max_length=100, help_text="与印章一致，如“中共××支部委员会”")
    short_name = models.CharField("简称", max_length=50, blank=True)
    code = models.CharField("组织代码", max_length=32, unique=True, validators=[code_validator])
    org_type = models.CharField("组织类别", max_length=32, choices=OrgType.choices)
    unit_relation = models.CharField(
        "单位隶属关系", max_length=32, choices=UnitRelation.choices, default=UnitRelation.SAME_AS_PARENT
    )
    founded_on = models.DateField("成立日期", null=True, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=32, blank=True)
    sort_order = models.IntegerField("排序号", default=0)
    status = models.CharField("状态", max_length=16, choices=OrgStatus.choices, default=OrgStatus.ACTIVE)
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    dissolved_reason = models.CharField("撤销原因", max_length=200, blank=True)

    objects = OrganizationManager()

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        indexes = [models.Index(fields=["depth", "sort_order"])]

    def __str__(self):
        return self.short_name or self.name

    @property
    def is_active(self) -> bool:
        return self.status == OrgStatus.ACTIVE


class OrgVersion(models.Model):
    """One period of an organisation's identity and place in the tree, in force on [valid_from, valid_to).

    The tree as it stood on any day is the set of versions in force that day; their paths are the paths of that
    day, so "the subtree of X on 2025-12-31" is still one prefix scan. A null `valid_from` means "since the record
    began"; a null `valid_to` marks the version in force now. Written only by `orgs.history`."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="versions")
    valid_from = models.DateField("生效日期", null=True, blank=True)
    valid_to = models.DateField("失效日期", null=True, blank=True)
    parent = models.ForeignKey(Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    path = models.CharField(max_length=255)
    depth = models.PositiveIntegerField()
    name = models.CharField("组织全称", max_length=100)
    short_name = models.CharField("简称", max_length=50, blank=True)
    org_type = models.CharField("组织类别", max_length=32, choices=OrgType.choices)
    status = models.CharField("状态", max_length=16, choices=OrgStatus.choices)

    class Meta:
        verbose_name = "党组织历史版本"
        verbose_name_plural = "党组织历史版本"
        ordering = ["org", "valid_from"]
        indexes = [models.Index(fields=["path", "valid_from"]), models.Index(fields=["org", "valid_to"])]
        constraints = [
            models.UniqueConstraint(fields=["org"], condition=models.Q(valid_to__isnull=True),
                                    name="one_current_version_per_org"),
        ]

    def __str__(self):
        return f"{self.name}（{self.valid_from or '…'}–{self.valid_to or '今'}）"
