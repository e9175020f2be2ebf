"""The organisation tree (党组织): a materialised path, so a subtree is one indexed prefix scan."""

from __future__ import annotations

from django.conf import settings
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


# -- Committees, terms and elections (换届); organisation setup records (组织设置) -----------------------------------
# Written only by `orgs.committees`; never deleted (a holding ends, a term ends, a unit leaves a joint branch).


def below_scope_filter(user, perm: str, org_field: str) -> models.Q | None:
    """Rows whose organisation stands strictly below one the user holds `perm` on: the higher organisation acts
    on what its subordinates did (approving a secretary elected below it), never on its own (None: everything)."""
    from dangjian.accounts.roles import Scope

    nothing = models.Q(pk__in=[])
    if user is None or not user.is_authenticated:
        return nothing
    condition = nothing
    for assignment in user.assignments_for(perm):
        if assignment.scope == Scope.ALL:
            return None
        if assignment.org is None or assignment.scope == Scope.SELF:
            continue
        below = {f"{org_field}__path__startswith": assignment.org.path}
        below[f"{org_field}__depth" if assignment.scope == Scope.ORG else f"{org_field}__depth__gt"] = (
            assignment.org.depth + 1 if assignment.scope == Scope.ORG else assignment.org.depth)
        condition |= models.Q(**below)
    return condition


class GovernanceQuerySet(models.QuerySet):
    org_field = "org"

    def restrict(self, user, perm: str):
        """Rows of the organisations in the user's scope for `perm`; the rest is invisible (404). Approval
        (`committee.approve`) reaches only the organisations below the approver's own."""
        from dangjian.accounts.roles import COMMITTEE_APPROVE

        if perm == COMMITTEE_APPROVE:
            condition = below_scope_filter(user, perm, self.org_field)
            return self if condition is None else self.filter(condition)
        return restrict(self, user, perm, org_field=self.org_field)


class GroupMembershipQuerySet(GovernanceQuerySet):
    org_field = "group"


class Term(TimeStampedModel):
    """One term (届) of an organisation's elected leadership: 党委 5 years, 总支 and 支部 3 years, village and
    community organisations 5 years (中办《关于党的基层组织任期的意见》). The committee of a term is the set of
    its `CommitteeMember` holdings; a term ends when the next one is elected."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="terms", verbose_name="党组织")
    number = models.PositiveSmallIntegerField("届次")
    started_on = models.DateField("本届开始日期")
    ends_on = models.DateField("任期届满日期")
    ended_on = models.DateField("实际结束日期", null=True, blank=True)
    village_or_community = models.BooleanField("村、社区党组织", default=False,
                                               help_text="村、社区的党委、总支、支部每届任期 5 年")
    seats = models.PositiveSmallIntegerField("委员职数", default=0, help_text="不设委员会（只设书记）的填 0")
    schedule_note = models.CharField("提前或延期换届的批准情况", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True)

    objects = GovernanceQuerySet.as_manager()

    class Meta:
        verbose_name = "任期"
        verbose_name_plural = "任期"
        ordering = ["org", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["org", "number"], name="one_term_number_per_org"),
            models.UniqueConstraint(fields=["org"], condition=models.Q(ended_on__isnull=True),
                                    name="one_current_term_per_org"),
        ]

    def __str__(self):
        return f"第{self.number}届（{self.started_on}—{self.ends_on}）"


class Position(models.TextChoices):
    SECRETARY = "secretary", "书记"
    DEPUTY_SECRETARY = "deputy_secretary", "副书记"
    ORGANIZATION_OFFICER = "organization_officer", "组织委员"
    PUBLICITY_OFFICER = "publicity_officer", "宣传委员"
    DISCIPLINE_OFFICER = "discipline_officer", "纪检委员"
    MEMBER = "member", "委员"


LEADER_POSITIONS = (Position.SECRETARY, Position.DEPUTY_SECRETARY)


class CommitteeMember(TimeStampedModel):
    """A position held in an organisation's committee (支部委员会 / 总支委员会 / 党委) by a member, from
    `started_on` until `ended_on`. The secretary and deputy take office with the higher organisation's approval."""

    class Source(models.TextChoices):
        ELECTED = "elected", "换届选举"
        BY_ELECTION = "by_election", "补选"
        APPOINTED = "appointed", "上级党组织任命"
        RECORDED = "recorded", "补录（系统启用前）"

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="committee_members",
                            verbose_name="党组织")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="holders", null=True, blank=True,
                             verbose_name="届次")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="committee_posts",
                               verbose_name="党员")
    position = models.CharField("职务", max_length=32, choices=Position.choices)
    started_on = models.DateField("任职日期")
    ended_on = models.DateField("离任日期", null=True, blank=True)
    end_reason = models.CharField("离任原因", max_length=200, blank=True)
    source = models.CharField("产生方式", max_length=16, choices=Source.choices)
    election = models.ForeignKey("Election", on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    approved_on = models.DateField("上级批准日期", null=True, blank=True)
    approval_document = models.CharField("批复文号", max_length=100, blank=True)

    objects = GovernanceQuerySet.as_manager()

    class Meta:
        verbose_name = "委员会成员"
        verbose_name_plural = "委员会成员"
        ordering = ["org", "ended_on", "started_on", "id"]
        indexes = [models.Index(fields=["org", "ended_on"])]
        constraints = [
            models.UniqueConstraint(fields=["org", "member"], condition=models.Q(ended_on__isnull=True),
                                    name="one_current_post_per_member_and_org"),
        ]

    def __str__(self):
        return f"{self.get_position_display()} {self.member}"

    @property
    def awaiting_approval(self) -> bool:
        return self.position in LEADER_POSITIONS and self.approved_on is None and self.ended_on is None


class Election(TimeStampedModel):
    """An election by the 党员大会: 换届选举 of a new committee, or 补选 of vacancies in the current term.
    The electorate (members due to attend) is fixed when the election is set up, from `voting_refusal`."""

    class Kind(models.TextChoices):
        GENERAL = "general", "换届选举"
        BY_ELECTION = "by_election", "补选"

    class State(models.TextChoices):
        DRAFT = "draft", "筹备中"
        ELECTED = "elected", "已选举，待上级批准或备案"
        COMPLETED = "completed", "已完成"

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="elections", verbose_name="党组织")
    term = models.ForeignKey(Term, on_delete=models.PROTECT, related_name="elections", null=True, blank=True,
                             verbose_name="届次")
    kind = models.CharField("选举类型", max_length=16, choices=Kind.choices, default=Kind.GENERAL)
    held_on = models.DateField("选举日期")
    seats = models.PositiveSmallIntegerField("应选委员人数", default=0, help_text="不设委员会的填 0，只选书记")
    deputy_seats = models.PositiveSmallIntegerField("应选副书记人数", default=0)
    elect_secretary = models.BooleanField("选举书记", default=True)
    village_or_community = models.BooleanField("村、社区党组织", default=False)
    schedule_note = models.CharField("提前或延期换届的批准情况", max_length=200, blank=True)
    electorate = models.JSONField("应到会有选举权的党员", default=list)  # member ids
    excluded = models.JSONField("无选举权的党员", default=list)  # [{"id", "name", "reason"}]
    present_count = models.PositiveIntegerField("实到会有选举权人数", null=True, blank=True)
    committee_present = models.PositiveIntegerField("选举书记、副书记时到会委员人数", null=True, blank=True)
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.DRAFT)
    approved_on = models.DateField("上级批准日期", null=True, blank=True)
    approval_document = models.CharField("批复文号", max_length=100, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    null=True, blank=True)
    filed_on = models.DateField("报上级备案日期", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = GovernanceQuerySet.as_manager()

    class Meta:
        verbose_name = "选举"
        verbose_name_plural = "选举"
        ordering = ["-held_on", "-id"]

    def __str__(self):
        return f"{self.held_on} {self.get_kind_display()}"

    @property
    def due_count(self) -> int:
        return len(self.electorate)


class ElectionCandidate(models.Model):
    """A candidate on one ballot: 委员 (contested), 书记 or 副书记 (uncontested), with the votes received."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="candidates")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", verbose_name="候选人")
    position = models.CharField("选举职务", max_length=32, choices=Position.choices, default=Position.MEMBER)
    duty = models.CharField("拟任分工", max_length=32, choices=Position.choices, blank=True)
    votes = models.PositiveIntegerField("得票数", null=True, blank=True)
    elected = models.BooleanField("当选", default=False)

    class Meta:
        verbose_name = "候选人"
        verbose_name_plural = "候选人"
        ordering = ["election", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["election", "member", "position"],
                                               name="one_candidacy_per_ballot")]


class GroupMembership(TimeStampedModel):
    """A member placed in a 党小组 of their branch (members stay recorded in the branch itself)."""

    group = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="group_memberships",
                              verbose_name="党小组")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="group_memberships",
                               verbose_name="党员")
    is_leader = models.BooleanField("党小组长", default=False)
    started_on = models.DateField("编入日期")
    ended_on = models.DateField("调出日期", null=True, blank=True)

    objects = GroupMembershipQuerySet.as_manager()

    class Meta:
        verbose_name = "党小组成员"
        verbose_name_plural = "党小组成员"
        ordering = ["group", "-is_leader", "id"]
        constraints = [models.UniqueConstraint(fields=["member"], condition=models.Q(ended_on__isnull=True),
                                               name="one_current_group_per_member")]


class JointBranchUnit(TimeStampedModel):
    """A unit (单位) covered by a 联合党支部; a joint branch normally covers no more than 5 units."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="covered_units",
                            verbose_name="联合党支部")
    name = models.CharField("单位名称", max_length=100)
    added_on = models.DateField("纳入日期")
    removed_on = models.DateField("移出日期", null=True, blank=True)

    objects = GovernanceQuerySet.as_manager()

    class Meta:
        verbose_name = "联合党支部覆盖单位"
        verbose_name_plural = "联合党支部覆盖单位"
        ordering = ["org", "removed_on", "id"]
