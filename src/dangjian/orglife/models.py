"""Organisational life (组织生活): meetings of every kind with their participants, check-in, votes and files;
民主评议 and its follow-up items; 谈心谈话; the calendar-feed tokens of members' phones.

Written only by `orglife.actions`; nothing here is deleted (a meeting is cancelled, a follow-up item closed).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from dangjian.accounts.scope import restrict
from dangjian.core.models import TimeStampedModel
from dangjian.orgs.models import Organization, below_scope_filter

from .choices import CheckInMethod, Grade, MeetingKind, MeetingState, Presence, Recurrence, TalkCategory


def _new_key() -> str:
    return secrets.token_hex(16)


def _new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class OrgLifeQuerySet(models.QuerySet):
    """Rows of the organisations in the user's scope; a member (本人) sees the rows they take part in. Review
    (`orglife.review`) reaches only the organisations below the reviewer's own."""

    org_field = "org"

    @staticmethod
    def own(user) -> Q:
        return Q(pk__in=[])

    def restrict(self, user, perm: str):
        from dangjian.accounts.roles import ORGLIFE_REVIEW

        if perm == ORGLIFE_REVIEW:
            condition = below_scope_filter(user, perm, self.org_field)
            return self if condition is None else self.filter(condition)
        return restrict(self, user, perm, org_field=self.org_field, self_q=self.own)


class MeetingQuerySet(OrgLifeQuerySet):
    @staticmethod
    def own(user) -> Q:
        return Q(pk__in=Attendance.objects.filter(member__user=user).values("meeting_id"))


class MeetingPlan(TimeStampedModel):
    """A recurring plan (每月 / 每季度 / 每年): it schedules its meetings ahead, one per period."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="meeting_plans", verbose_name="党组织")
    kind = models.CharField("类别", max_length=32, choices=MeetingKind.choices)
    topic = models.CharField("议题", max_length=200)
    recurrence = models.CharField("周期", max_length=16, choices=Recurrence.choices)
    first_starts_at = models.DateTimeField("首次开始时间")
    duration_minutes = models.PositiveIntegerField("时长（分钟）")
    occurrences = models.PositiveSmallIntegerField("次数")
    place = models.CharField("地点", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = OrgLifeQuerySet.as_manager()

    class Meta:
        verbose_name = "组织生活计划"
        verbose_name_plural = "组织生活计划"
        ordering = ["org", "-first_starts_at"]

    def __str__(self):
        return f"{self.get_recurrence_display()}{self.get_kind_display()}：{self.topic}"


class Meeting(TimeStampedModel):
    """One meeting of organisational life, from its plan to its record and the higher organisation's review.

    Participants due are fixed from the members' history on the meeting's date (`Attendance` rows); those present
    are those who checked in (by scanning the rotating code, or on their behalf by the secretary, marked)."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="meetings", verbose_name="党组织")
    kind = models.CharField("类别", max_length=32, choices=MeetingKind.choices)
    also_counts_as = models.JSONField("同时计为", default=list, blank=True,
                                      help_text="如主题党日同时召开党员大会、组织生活会结合民主评议")
    plan = models.ForeignKey(MeetingPlan, on_delete=models.PROTECT, related_name="meetings", null=True, blank=True)
    topic = models.CharField("议题", max_length=200)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    place = models.CharField("地点", max_length=200, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_radius = models.PositiveIntegerField("签到范围（米）", null=True, blank=True,
                                                 help_text="留空则不校验签到位置")
    chair = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                              verbose_name="主持人")
    recorder = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", null=True,
                                 blank=True, verbose_name="记录人")
    state = models.CharField("状态", max_length=16, choices=MeetingState.choices, default=MeetingState.PLANNED)
    minutes = models.TextField("会议记录", blank=True)
    decisions = models.TextField("决议决定", blank=True)
    study_hours = models.DecimalField("计入学时", max_digits=4, decimal_places=1, default=0)
    review_note = models.CharField("审核意见", max_length=500, blank=True)
    submitted_at = models.DateTimeField("报送时间", null=True, blank=True)
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    null=True, blank=True)
    # Part of the check-in token's salt: a new key invalidates every code shown before.
    checkin_key = models.CharField(max_length=32, default=_new_key, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = "组织生活会议"
        verbose_name_plural = "组织生活会议"
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["org", "kind", "starts_at"]), models.Index(fields=["state", "starts_at"])]

    def __str__(self):
        return f"{self.held_on} {self.get_kind_display()}：{self.topic}"

    @property
    def held_on(self):
        return timezone.localdate(self.starts_at)

    @property
    def kinds(self) -> list[str]:
        return [self.kind, *[k for k in self.also_counts_as if k != self.kind]]

    @property
    def is_held(self) -> bool:
        from .choices import HELD_STATES

        return self.state in HELD_STATES


class MemberRowQuerySet(OrgLifeQuerySet):
    """Rows about one member (attendance, appraisal entry, follow-up item): the member sees their own."""

    @staticmethod
    def own(user) -> Q:
        return Q(member__user=user)


class AttendanceQuerySet(MemberRowQuerySet):
    org_field = "meeting__org"


class Attendance(TimeStampedModel):
    """A participant due at a meeting: present (checked in), on leave (approved or not) or absent."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendances")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="meeting_attendances",
                               verbose_name="党员")
    presence = models.CharField("出席情况", max_length=16, choices=Presence.choices, default=Presence.PENDING)
    leave_reason = models.CharField("请假事由", max_length=200, blank=True)
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    method = models.CharField("签到方式", max_length=16, choices=CheckInMethod.choices, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                      null=True, blank=True, verbose_name="代签到人")
    distance_metres = models.PositiveIntegerField("签到距离（米）", null=True, blank=True)

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = "参会情况"
        verbose_name_plural = "参会情况"
        ordering = ["meeting", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_per_member")]


class MeetingPartQuerySet(OrgLifeQuerySet):
    """Rows belonging to a meeting (votes, files): a member sees those of the meetings they are due at."""

    org_field = "meeting__org"

    @staticmethod
    def own(user) -> Q:
        return Q(meeting_id__in=Attendance.objects.filter(member__user=user).values("meeting_id"))


class MeetingVote(TimeStampedModel):
    """A vote at a 支部党员大会 (支部条例 第十一条): it may be held only when the voting members present exceed half
    of those due, and a motion passes only when the yes votes exceed half of those due. 预备党员, members under
    留党察看 and mobile members in their inflow organisation have no vote (`voting_refusal`)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="votes")
    motion = models.CharField("表决事项", max_length=200)
    due_voting = models.JSONField("应到会有表决权的党员", default=list)  # member ids
    excluded = models.JSONField("无表决权的党员", default=list)  # [{"id", "name", "reason"}]
    present_voting = models.PositiveIntegerField("实到会有表决权人数")
    yes = models.PositiveIntegerField("赞成")
    no = models.PositiveIntegerField("反对")
    abstain = models.PositiveIntegerField("弃权")
    passed = models.BooleanField("通过")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = MeetingPartQuerySet.as_manager()

    class Meta:
        verbose_name = "表决"
        verbose_name_plural = "表决"
        ordering = ["meeting", "id"]

    @property
    def due_count(self) -> int:
        return len(self.due_voting)


class MeetingFile(TimeStampedModel):
    """An attachment or photo of a meeting record, stored under the data directory (outside the web root) by an
    opaque name and served only through the scoped download view."""

    class Kind(models.TextChoices):
        ATTACHMENT = "attachment", "附件"
        PHOTO = "photo", "照片"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    name = models.CharField("文件名", max_length=200)
    stored_name = models.CharField(max_length=64, unique=True, editable=False)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = MeetingPartQuerySet.as_manager()

    class Meta:
        verbose_name = "会议附件"
        verbose_name_plural = "会议附件"
        ordering = ["meeting", "kind", "id"]


class AppraisalQuerySet(OrgLifeQuerySet):
    @staticmethod
    def own(user) -> Q:
        return Q(pk__in=AppraisalEntry.objects.filter(member__user=user).values("appraisal_id"))


class Appraisal(TimeStampedModel):
    """民主评议党员 of one organisation for one year (教育条例 第十八条): self-assessment, mutual assessment and
    democratic rating, then the branch's decision on each member's grade."""

    class State(models.TextChoices):
        OPEN = "open", "评议中"
        DECIDED = "decided", "已评定"

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="appraisals", verbose_name="党组织")
    year = models.PositiveSmallIntegerField("年度")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="+", null=True, blank=True,
                                verbose_name="评议会议")
    state = models.CharField("状态", max_length=16, choices=State.choices, default=State.OPEN)
    decided_on = models.DateField("评定日期", null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = AppraisalQuerySet.as_manager()

    class Meta:
        verbose_name = "民主评议党员"
        verbose_name_plural = "民主评议党员"
        ordering = ["-year", "org"]
        constraints = [models.UniqueConstraint(fields=["org", "year"], name="one_appraisal_per_org_and_year")]

    def __str__(self):
        return f"{self.year}年度民主评议党员"


class AppraisalEntryQuerySet(MemberRowQuerySet):
    org_field = "appraisal__org"


class AppraisalEntry(TimeStampedModel):
    """One member in a 民主评议: 预备党员 take part but receive no grade."""

    appraisal = models.ForeignKey(Appraisal, on_delete=models.PROTECT, related_name="entries")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="appraisal_entries",
                               verbose_name="党员")
    probationary = models.BooleanField("预备党员（不评定等次）", default=False)
    self_assessment = models.TextField("个人自评", blank=True)
    mutual_assessment = models.TextField("党员互评意见", blank=True)
    # Democratic rating (民主测评): the votes for each grade.
    votes_excellent = models.PositiveIntegerField("测评：优秀", default=0)
    votes_qualified = models.PositiveIntegerField("测评：合格", default=0)
    votes_basically_qualified = models.PositiveIntegerField("测评：基本合格", default=0)
    votes_unqualified = models.PositiveIntegerField("测评：不合格", default=0)
    grade = models.CharField("评定等次", max_length=32, choices=Grade.choices, blank=True)

    objects = AppraisalEntryQuerySet.as_manager()

    class Meta:
        verbose_name = "评议对象"
        verbose_name_plural = "评议对象"
        ordering = ["appraisal", "id"]
        constraints = [models.UniqueConstraint(fields=["appraisal", "member"], name="one_entry_per_member")]


class FollowUpItem(TimeStampedModel):
    """A follow-up opened by a 不合格 grade: education first, then handling under the escalation ladder
    (教育条例 第二十八至三十一条). Closed with a note, never deleted."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", verbose_name="党组织")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="orglife_follow_ups",
                               verbose_name="党员")
    entry = models.ForeignKey(AppraisalEntry, on_delete=models.PROTECT, related_name="follow_ups", null=True,
                              blank=True)
    title = models.CharField("事项", max_length=200)
    opened_on = models.DateField("开启日期")
    closed_on = models.DateField("办结日期", null=True, blank=True)
    closing_note = models.CharField("办结情况", max_length=500, blank=True)

    objects = MemberRowQuerySet.as_manager()

    class Meta:
        verbose_name = "后续处置事项"
        verbose_name_plural = "后续处置事项"
        ordering = ["closed_on", "-opened_on", "id"]


class HeartTalkQuerySet(OrgLifeQuerySet):
    @staticmethod
    def own(user) -> Q:
        return Q(initiator__user=user) | Q(counterpart__user=user)


class HeartTalk(TimeStampedModel):
    """A 谈心谈话: who talked with whom, when, about what, and the follow-up. The pair category (支委之间, 支委与
    党员之间, 党员之间) follows from the committee on the day."""

    org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="heart_talks", verbose_name="党组织")
    held_on = models.DateField("谈话日期")
    initiator = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", verbose_name="谈话人")
    counterpart = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+",
                                    verbose_name="谈话对象")
    category = models.CharField("类别", max_length=32, choices=TalkCategory.choices)
    topic = models.CharField("谈话主题", max_length=200)
    follow_up = models.CharField("后续跟进", max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = HeartTalkQuerySet.as_manager()

    class Meta:
        verbose_name = "谈心谈话"
        verbose_name_plural = "谈心谈话"
        ordering = ["-held_on", "-id"]


class CalendarFeed(TimeStampedModel):
    """A user's calendar feed (ICS) address; the token in it is the only credential, so it can be revoked."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calendar_feeds")
    token = models.CharField(max_length=64, unique=True, default=_new_feed_token)
    revoked_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        verbose_name = "日历订阅"
        verbose_name_plural = "日历订阅"
        constraints = [models.UniqueConstraint(fields=["user"], condition=Q(revoked_at__isnull=True),
                                               name="one_active_feed_per_user")]
