"""API for organisational life: meetings (plan, record, leave, check-in, votes, review), 民主评议, 谈心谈话,
follow-up items and compliance. The same actions, rules and scope as the pages: a body id outside the scope is a
400, an object outside it a 404, a broken rule a 400 with the Chinese reason under the field it names."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from dangjian.accounts import roles
from dangjian.core.api import ScopedGenericViewSet, resolve_in_scope
from dangjian.members.models import Member
from dangjian.orgs.api.governance import GovernanceViewSet, _org_param
from dangjian.orgs.models import Organization

from .. import actions, appraisals, checkin, queries
from ..choices import Grade, MeetingKind, Recurrence
from ..models import Appraisal, AppraisalEntry, Attendance, FollowUpItem, HeartTalk, Meeting, MeetingVote

ORG_FILTER = OpenApiParameter("org", int, description="只看该党组织及其下级组织")


def _body(serializer_class, request) -> dict:
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


def _attendee(meeting, pk, field="member"):
    member = Member.objects.filter(pk=pk, meeting_attendances__meeting=meeting).first()
    if member is None:
        raise ApiValidationError({field: ["该党员不是本次会议的应到人员"]})
    return member


# -- serializers -------------------------------------------------------------------------------------------------

class AttendanceSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    on_behalf = serializers.SerializerMethodField(help_text="是否由他人代为签到")

    class Meta:
        model = Attendance
        fields = ["member", "member_name", "presence", "leave_reason", "checked_in_at", "method", "on_behalf",
                  "distance_metres"]

    def get_on_behalf(self, row) -> bool:
        return row.checked_in_by_id is not None


class VoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingVote
        fields = ["id", "motion", "due_voting", "excluded", "present_voting", "yes", "no", "abstain", "passed"]


class MeetingSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = Meeting
        fields = ["id", "org", "kind", "kind_display", "also_counts_as", "topic", "starts_at", "ends_at", "place",
                  "latitude", "longitude", "checkin_radius", "chair", "recorder", "state", "state_display", "minutes",
                  "decisions", "study_hours", "review_note", "submitted_at", "reviewed_at", "version"]


class MeetingWriteSerializer(serializers.Serializer):
    org = serializers.IntegerField(help_text="党组织编号")
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    topic = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    also_counts_as = serializers.ListField(child=serializers.ChoiceField(choices=MeetingKind.choices), required=False,
                                           default=list)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True, default=None)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True,
                                         default=None)
    checkin_radius = serializers.IntegerField(required=False, allow_null=True, default=None)


class PlanWriteSerializer(serializers.Serializer):
    org = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=MeetingKind.choices)
    topic = serializers.CharField(max_length=200)
    recurrence = serializers.ChoiceField(choices=Recurrence.choices)
    first_starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField()
    occurrences = serializers.IntegerField()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RecordSerializer(serializers.Serializer):
    topic = serializers.CharField(max_length=200)
    chair = serializers.IntegerField(required=False, allow_null=True, default=None)
    recorder = serializers.IntegerField(required=False, allow_null=True, default=None)
    minutes = serializers.CharField()
    decisions = serializers.CharField(required=False, allow_blank=True, default="")
    study_hours = serializers.DecimalField(max_digits=4, decimal_places=1, required=False, allow_null=True,
                                           default=None)
    version = serializers.IntegerField(required=False, allow_null=True, default=None)


class LeaveSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    approved = serializers.BooleanField()
    leave_reason = serializers.CharField(max_length=200)


class MemberRefSerializer(serializers.Serializer):
    member = serializers.IntegerField()


class VoteWriteSerializer(serializers.Serializer):
    motion = serializers.CharField(max_length=200)
    yes = serializers.IntegerField(min_value=0)
    no = serializers.IntegerField(min_value=0, default=0)
    abstain = serializers.IntegerField(min_value=0, default=0)


class RescheduleSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, allow_null=True, default=None)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class CheckInSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=500, help_text="签到二维码中的 t 参数")
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True, default=None)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True,
                                         default=None)


# -- meetings --------------------------------------------------------------------------------------------------

class OrgLifeViewSet(GovernanceViewSet):
    default_perm = roles.ORGLIFE_VIEW


@extend_schema(parameters=[ORG_FILTER])
class MeetingViewSet(OrgLifeViewSet):
    """组织生活会议：列表（`kind`、`state`、`from`、`to` 过滤）、详情、安排、周期计划、请假、代签到、扫码签到、
    会议记录、表决、报送、上级审核通过或退回、取消。"""

    scoped_model = Meeting
    serializer_class = MeetingSerializer
    scope_perms = {"record": roles.ORGLIFE_MANAGE, "leave": roles.ORGLIFE_MANAGE, "on_behalf": roles.ORGLIFE_MANAGE,
                   "vote": roles.ORGLIFE_MANAGE, "submit": roles.ORGLIFE_MANAGE, "cancel": roles.ORGLIFE_MANAGE,
                   "reschedule": roles.ORGLIFE_MANAGE,
                   "checkin_code": roles.ORGLIFE_MANAGE, "approve": roles.ORGLIFE_REVIEW,
                   "send_back": roles.ORGLIFE_REVIEW, "check_in": roles.ORGLIFE_VIEW,
                   "attendance": roles.ORGLIFE_VIEW}

    def get_queryset(self):
        queryset = super().get_queryset().order_by("-starts_at", "-id")
        params = self.request.query_params
        if params.get("kind"):
            queryset = queryset.filter(kind=params["kind"])
        if params.get("state"):
            queryset = queryset.filter(state=params["state"])
        for name, lookup in (("from", "starts_at__date__gte"), ("to", "starts_at__date__lte")):
            if params.get(name):
                try:
                    queryset = queryset.filter(**{lookup: dt.date.fromisoformat(params[name])})
                except ValueError:
                    raise ApiValidationError({name: ["日期格式应为 YYYY-MM-DD"]}) from None
        return queryset

    @extend_schema(request=MeetingWriteSerializer, responses={201: MeetingSerializer}, summary="安排会议")
    def create(self, request):
        d = _body(MeetingWriteSerializer, request)
        org = resolve_in_scope(Organization, request.user, roles.ORGLIFE_MANAGE, d.pop("org"), "org")
        meeting = actions.do_schedule_meeting(org, actor=request.user, **d)
        return Response(MeetingSerializer(meeting).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanWriteSerializer, responses={201: MeetingSerializer(many=True)}, summary="制定周期计划")
    @action(detail=False, methods=["post"])
    def plan(self, request):
        d = _body(PlanWriteSerializer, request)
        org = resolve_in_scope(Organization, request.user, roles.ORGLIFE_MANAGE, d.pop("org"), "org")
        plan = actions.do_plan_meetings(org, actor=request.user, **d)
        return Response(MeetingSerializer(plan.meetings.order_by("starts_at"), many=True).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: AttendanceSerializer(many=True)}, summary="参会情况（党员只看本人）")
    @action(detail=True, methods=["get"])
    def attendance(self, request, pk=None):
        meeting = self.get_object()
        rows = meeting.attendances.select_related("member").order_by("member__name")
        if not Meeting.objects.restrict(request.user, roles.ORGLIFE_MANAGE).filter(pk=meeting.pk).exists():
            rows = rows.filter(member__user=request.user)
        return Response(AttendanceSerializer(rows, many=True).data)

    @extend_schema(request=RecordSerializer, responses={200: MeetingSerializer}, summary="登记会议记录")
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        meeting = self.get_object()
        d = _body(RecordSerializer, request)
        chair = _attendee(meeting, d.pop("chair"), "chair") if d.get("chair") else None
        recorder = _attendee(meeting, d.pop("recorder"), "recorder") if d.get("recorder") else None
        d.pop("chair", None), d.pop("recorder", None)
        meeting = actions.do_record_meeting(meeting, chair=chair, recorder=recorder,
                                            expected_version=d.pop("version"), actor=request.user, **d)
        return Response(MeetingSerializer(meeting).data)

    @extend_schema(request=LeaveSerializer, responses={200: AttendanceSerializer}, summary="登记请假")
    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        meeting = self.get_object()
        d = _body(LeaveSerializer, request)
        row = actions.do_record_leave(meeting, member=_attendee(meeting, d["member"]), approved=d["approved"],
                                      reason=d["leave_reason"], actor=request.user)
        return Response(AttendanceSerializer(row).data)

    @extend_schema(request=MemberRefSerializer, responses={200: AttendanceSerializer}, summary="代为签到（标记代签）")
    @action(detail=True, methods=["post"], url_path="on-behalf")
    def on_behalf(self, request, pk=None):
        meeting = self.get_object()
        d = _body(MemberRefSerializer, request)
        row = checkin.do_check_in_on_behalf(meeting, member=_attendee(meeting, d["member"]), actor=request.user)
        return Response(AttendanceSerializer(row).data)

    @extend_schema(request=CheckInSerializer, responses={200: AttendanceSerializer}, summary="扫码签到（本人）")
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        meeting = self.get_object()
        d = _body(CheckInSerializer, request)
        row = checkin.do_check_in(meeting, token=d["token"], latitude=d["latitude"], longitude=d["longitude"],
                                  actor=request.user)
        return Response(AttendanceSerializer(row).data)

    @extend_schema(responses={200: dict}, summary="当前签到码（会场大屏或签到终端使用，30 秒更换）")
    @action(detail=True, methods=["get"], url_path="checkin-code")
    def checkin_code(self, request, pk=None):
        meeting = self.get_object()
        refusal = checkin.window_refusal(meeting)
        if refusal:  # outside the check-in window no code is issued; the reason says when it opens or closed
            return Response({"token": None, "url": None, "seconds_left": None, "closed": refusal})
        token = checkin.make_token(meeting)
        url = request.build_absolute_uri(f"/orglife/meetings/{meeting.pk}/checkin/") + f"?t={token}"
        return Response({"token": token, "url": url, "seconds_left": checkin.seconds_left(meeting), "closed": None})

    @extend_schema(request=VoteWriteSerializer, responses={201: VoteSerializer}, summary="登记表决（支部党员大会）")
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        meeting = self.get_object()
        vote = actions.do_record_vote(meeting, actor=request.user, **_body(VoteWriteSerializer, request))
        return Response(VoteSerializer(vote).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: MeetingSerializer}, summary="报送上级审核")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return Response(MeetingSerializer(actions.do_submit_meeting(self.get_object(), actor=request.user)).data)

    @extend_schema(request=None, responses={200: MeetingSerializer}, summary="上级审核通过")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return Response(MeetingSerializer(actions.do_approve_meeting(self.get_object(), actor=request.user)).data)

    @extend_schema(request=ReasonSerializer, responses={200: MeetingSerializer}, summary="上级退回（附原因）")
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        meeting = self.get_object()
        d = _body(ReasonSerializer, request)
        return Response(MeetingSerializer(actions.do_return_meeting(meeting, reason=d["reason"],
                                                                    actor=request.user)).data)

    @extend_schema(request=RescheduleSerializer, responses={200: MeetingSerializer}, summary="会议改期")
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        meeting = self.get_object()
        return Response(MeetingSerializer(actions.do_reschedule_meeting(
            meeting, actor=request.user, **_body(RescheduleSerializer, request))).data)

    @extend_schema(request=ReasonSerializer, responses={200: MeetingSerializer}, summary="取消会议")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        meeting = self.get_object()
        d = _body(ReasonSerializer, request)
        return Response(MeetingSerializer(actions.do_cancel_meeting(meeting, reason=d["reason"],
                                                                    actor=request.user)).data)


# -- 民主评议, 谈心谈话, follow-up items ----------------------------------------------------------------------------

class EntrySerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = AppraisalEntry
        fields = ["id", "member", "member_name", "probationary", "self_assessment", "mutual_assessment",
                  "votes_excellent", "votes_qualified", "votes_basically_qualified", "votes_unqualified", "grade"]


class AppraisalSerializer(serializers.ModelSerializer):
    entries = EntrySerializer(many=True, read_only=True)

    class Meta:
        model = Appraisal
        fields = ["id", "org", "year", "state", "decided_on", "entries"]


class AppraisalWriteSerializer(serializers.Serializer):
    org = serializers.IntegerField()
    year = serializers.IntegerField()


class AssessSerializer(serializers.Serializer):
    entry = serializers.IntegerField()
    self_assessment = serializers.CharField(required=False, allow_blank=True, default="")
    mutual_assessment = serializers.CharField(required=False, allow_blank=True, default="")
    votes = serializers.DictField(child=serializers.IntegerField(min_value=0), required=False, default=dict,
                                  help_text="各等次的测评票数，如 {\"excellent\": 3, \"qualified\": 10}")


class DecideSerializer(serializers.Serializer):
    decided_on = serializers.DateField()
    grades = serializers.DictField(child=serializers.ChoiceField(choices=Grade.choices, allow_blank=True),
                                   help_text="党员编号 → 等次；预备党员不评定等次")


@extend_schema(parameters=[ORG_FILTER])
class AppraisalViewSet(OrgLifeViewSet):
    """民主评议党员：列表、详情（含每名党员的自评、互评、测评和等次）、开启、登记测评、评定等次。"""

    scoped_model = Appraisal
    serializer_class = AppraisalSerializer
    scope_perms = {"assess": roles.ORGLIFE_MANAGE, "decide": roles.ORGLIFE_MANAGE}

    def get_queryset(self):
        return super().get_queryset().prefetch_related("entries__member").order_by("-year", "org__path")

    @extend_schema(request=AppraisalWriteSerializer, responses={201: AppraisalSerializer}, summary="开启民主评议")
    def create(self, request):
        d = _body(AppraisalWriteSerializer, request)
        org = resolve_in_scope(Organization, request.user, roles.ORGLIFE_MANAGE, d["org"], "org")
        appraisal = appraisals.do_open_appraisal(org, year=d["year"], actor=request.user)
        return Response(AppraisalSerializer(appraisal).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AssessSerializer, responses={200: EntrySerializer}, summary="登记自评、互评和民主测评")
    @action(detail=True, methods=["post"])
    def assess(self, request, pk=None):
        appraisal = self.get_object()
        d = _body(AssessSerializer, request)
        entry = appraisal.entries.filter(pk=d["entry"]).first()
        if entry is None:
            raise ApiValidationError({"entry": ["该党员不在本次评议中"]})
        entry = appraisals.do_assess(entry, self_assessment=d["self_assessment"],
                                     mutual_assessment=d["mutual_assessment"], votes=d["votes"], actor=request.user)
        return Response(EntrySerializer(entry).data)

    @extend_schema(request=DecideSerializer, responses={200: AppraisalSerializer}, summary="评定等次")
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        appraisal = self.get_object()
        d = _body(DecideSerializer, request)
        try:
            grades = {int(k): v for k, v in d["grades"].items()}
        except ValueError:
            raise ApiValidationError({"grades": ["党员编号应为整数"]}) from None
        appraisal = appraisals.do_decide_appraisal(appraisal, grades=grades, decided_on=d["decided_on"],
                                                   actor=request.user)
        return Response(AppraisalSerializer(appraisal).data)


class TalkSerializer(serializers.ModelSerializer):
    class Meta:
        model = HeartTalk
        fields = ["id", "org", "held_on", "initiator", "counterpart", "category", "topic", "follow_up"]


class TalkWriteSerializer(serializers.Serializer):
    org = serializers.IntegerField()
    held_on = serializers.DateField()
    initiator = serializers.IntegerField()
    counterpart = serializers.IntegerField()
    topic = serializers.CharField(max_length=200)
    follow_up = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


@extend_schema(parameters=[ORG_FILTER])
class HeartTalkViewSet(OrgLifeViewSet):
    """谈心谈话记录：列表、详情、登记（类别按谈话当日的支部委员会自动确定）。"""

    scoped_model = HeartTalk
    serializer_class = TalkSerializer

    def get_queryset(self):
        return super().get_queryset().order_by("-held_on", "-id")

    @extend_schema(request=TalkWriteSerializer, responses={201: TalkSerializer}, summary="登记谈心谈话")
    def create(self, request):
        d = _body(TalkWriteSerializer, request)
        org = resolve_in_scope(Organization, request.user, roles.ORGLIFE_MANAGE, d.pop("org"), "org")
        people = {f: resolve_in_scope(Member, request.user, roles.MEMBER_VIEW, d.pop(f), f)
                  for f in ("initiator", "counterpart")}
        talk = appraisals.do_record_talk(org, actor=request.user, **people, **d)
        return Response(TalkSerializer(talk).data, status=status.HTTP_201_CREATED)


class FollowUpSerializer(serializers.ModelSerializer):
    class Meta:
        model = FollowUpItem
        fields = ["id", "org", "member", "entry", "title", "opened_on", "closed_on", "closing_note"]


class CloseSerializer(serializers.Serializer):
    closed_on = serializers.DateField()
    closing_note = serializers.CharField(max_length=500)


@extend_schema(parameters=[ORG_FILTER])
class FollowUpViewSet(OrgLifeViewSet):
    """民主评议不合格开启的后续处置事项：列表（`open=true` 只看未办结）、详情、办结。"""

    scoped_model = FollowUpItem
    serializer_class = FollowUpSerializer
    scope_perms = {"close": roles.ORGLIFE_MANAGE}

    def get_queryset(self):
        queryset = super().get_queryset().order_by("closed_on", "-opened_on", "id")
        if self.request.query_params.get("open") == "true":
            queryset = queryset.filter(closed_on__isnull=True)
        return queryset

    @extend_schema(request=CloseSerializer, responses={200: FollowUpSerializer}, summary="办结")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        item = self.get_object()
        d = _body(CloseSerializer, request)
        item = appraisals.do_close_follow_up(item, on=d["closed_on"], note=d["closing_note"], actor=request.user)
        return Response(FollowUpSerializer(item).data)


# -- compliance -------------------------------------------------------------------------------------------------

class KindSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    period = serializers.CharField(source="unit")
    required = serializers.IntegerField(source="required_count")
    held = serializers.IntegerField(source="held_count")
    missing = serializers.SerializerMethodField()
    current = serializers.SerializerMethodField()

    def get_missing(self, status) -> list[str]:
        return [span.label for span in status.missing]

    def get_current(self, status) -> dict | None:
        if not status.current:
            return None
        return {"period": status.current.label, "held": status.current_held, "days_left": status.days_left}


class ComplianceSerializer(serializers.Serializer):
    org = serializers.IntegerField(source="org.pk")
    org_name = serializers.CharField(source="org.name")
    kinds = KindSerializer(many=True)


class ComplianceViewSet(mixins.ListModelMixin, ScopedGenericViewSet):
    """组织生活开展情况：某党组织及其下级每个支部、党小组本年度各类组织生活的应开展、已开展和未开展的周期。"""

    scoped_model = Organization
    default_perm = roles.ORGLIFE_MANAGE
    serializer_class = ComplianceSerializer
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("org", int, required=True, description="党组织编号"),
                               OpenApiParameter("year", int, description="年度，默认今年")],
                   responses={200: ComplianceSerializer(many=True)}, summary="组织生活开展情况")
    def list(self, request):
        org = _org_param(request, roles.ORGLIFE_MANAGE)
        if org is None:
            raise ApiValidationError({"org": ["请指定党组织"]})
        today = timezone.localdate()
        raw = request.query_params.get("year") or str(today.year)
        if not raw.isdigit() or not 2000 <= int(raw) <= today.year:
            raise ApiValidationError({"year": [f"年度应在 2000—{today.year} 之间"]})
        year = int(raw)
        rows = queries.compliance(self.get_queryset().filter(path__startswith=org.path), year,
                                  min(today, dt.date(year, 12, 31)))
        return Response(ComplianceSerializer(rows, many=True).data)
