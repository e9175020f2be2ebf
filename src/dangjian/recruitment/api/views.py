"""API of recruitment (发展党员): the same actions, rules and scope as the pages.

An id in a request body outside the scope is a 400, an object outside it a 404, a broken rule a 400 with the
Chinese reason (citing the article) under the field it names; a warning comes back under `acknowledge` and the
step is recorded when it is sent again with `acknowledged: true`.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from dangjian.accounts import roles
from dangjian.core import audit
from dangjian.core.api import ScopedGenericViewSet, resolve_in_scope
from dangjian.members.choices import Education, Gender, OccupationCategory
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

from .. import actions, paperwork, queries
from ..choices import OWN_ACTION_STEPS, DocumentKind, MeetingType, Outcome, PersonRole, Stage, StepKind
from ..models import Candidate, Holiday, Step, ThoughtReport
from ..views import docx_response


class PersonSerializer(serializers.Serializer):
    member = serializers.IntegerField(source="member_id")
    member_name = serializers.CharField(source="member.name")
    role = serializers.CharField()


class StepSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    people = PersonSerializer(many=True, read_only=True)

    class Meta:
        model = Step
        fields = ["id", "kind", "kind_display", "on", "org", "rule_version", "opinion", "document_number",
                  "meeting_type", "passed", "ends_on", "training_days", "training_hours", "months", "outcome",
                  "due_count", "excluded_count", "present_count", "yes_count", "no_count", "abstain_count",
                  "warnings", "people"]


class DeadlineSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    due_on = serializers.DateField()
    responsible = serializers.CharField(help_text="branch（党支部）或 committee（审批的党委）")
    citation = serializers.CharField()


class CandidateSerializer(serializers.ModelSerializer):
    id_number = serializers.CharField(source="masked_id_number", read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    next_step = serializers.SerializerMethodField()
    probation_end = serializers.SerializerMethodField()
    deadlines = serializers.SerializerMethodField()

    class Meta:
        model = Candidate
        fields = ["id", "name", "gender", "id_number", "birth_date", "education", "occupation_category",
                  "work_unit_and_post", "org", "stage", "stage_display", "applied_on", "expected_leave_on",
                  "transferred_in", "member", "next_step", "probation_end", "deadlines", "version"]

    def _history(self, candidate):
        cache = self.context.setdefault("histories", {})
        if candidate.pk not in cache:
            cache[candidate.pk] = queries.history_of(candidate)
        return cache[candidate.pk]

    def get_next_step(self, candidate) -> str:
        return queries.next_step(candidate, self._history(candidate))

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_probation_end(self, candidate):
        end = self._history(candidate).probation_end()
        return end.isoformat() if end else None

    @extend_schema_field(DeadlineSerializer(many=True))
    def get_deadlines(self, candidate) -> list:
        return DeadlineSerializer(queries.candidate_deadlines(candidate, self._history(candidate)), many=True).data


class ApplicationSerializer(serializers.Serializer):
    org = serializers.IntegerField(help_text="受理的党支部编号")
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=18)
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    birth_date = serializers.DateField(required=False, allow_null=True)
    education = serializers.ChoiceField(choices=Education.choices, required=False, allow_blank=True)
    occupation_category = serializers.ChoiceField(choices=OccupationCategory.choices)
    work_unit_and_post = serializers.CharField(max_length=100, required=False, allow_blank=True)
    applied_on = serializers.DateField()
    expected_leave_on = serializers.DateField(required=False, allow_null=True)


class StepWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[c for c in StepKind.choices if c[0] not in OWN_ACTION_STEPS])
    on = serializers.DateField()
    org = serializers.IntegerField(required=False, allow_null=True, help_text="党委办理的环节：办理的上级党组织")
    opinion = serializers.CharField(required=False, allow_blank=True, default="")
    document_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    meeting_type = serializers.ChoiceField(choices=MeetingType.choices, required=False, allow_blank=True)
    passed = serializers.BooleanField(required=False, allow_null=True, default=None)
    ends_on = serializers.DateField(required=False, allow_null=True)
    training_days = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0, required=False, allow_null=True)
    training_hours = serializers.DecimalField(max_digits=6, decimal_places=1, min_value=0, required=False, allow_null=True)
    months = serializers.IntegerField(min_value=1, max_value=24, required=False, allow_null=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, allow_blank=True)
    present_count = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    yes_count = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    no_count = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    abstain_count = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    talkers = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    contacts = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    introducers = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    acknowledged = serializers.BooleanField(default=False, help_text="已知悉提示（时限等），仍登记")


class MoveSerializer(serializers.Serializer):
    org = serializers.IntegerField(help_text="接收的党支部编号（须在您的管理范围内）")
    on = serializers.DateField(help_text="转移日期")
    reason = serializers.CharField(max_length=500, help_text="转移原因")


class TransferInSerializer(serializers.Serializer):
    member = serializers.IntegerField(help_text="转入的预备党员的党员编号")


PEOPLE = {"talkers": PersonRole.TALKER, "contacts": PersonRole.CONTACT, "introducers": PersonRole.INTRODUCER}
ORG_FILTER = OpenApiParameter("org", int, description="只看该党组织及其下级组织")
STAGE_FILTER = OpenApiParameter("stage", str, enum=Stage.values, description="只看某一阶段")


@extend_schema(parameters=[ORG_FILTER, STAGE_FILTER])
class CandidateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """发展党员：列表与详情（含时限和下一步）、登记入党申请、登记环节（`steps`）、生成文书（`document`）。"""

    scoped_model = Candidate
    default_perm = roles.RECRUITMENT_VIEW
    scope_perms = {"steps": roles.RECRUITMENT_VIEW, "document": roles.RECRUITMENT_VIEW,
                   "transferred_in": roles.RECRUITMENT_MANAGE, "move": roles.RECRUITMENT_MANAGE}
    serializer_class = CandidateSerializer

    def get_queryset(self):
        queryset = super().get_queryset().select_related("org").order_by("org__path", "applied_on", "id")
        params = self.request.query_params
        if raw := params.get("org"):
            if not raw.isdigit():
                raise ApiValidationError({"org": ["组织编号应为整数"]})
            org = get_object_or_404(Organization.objects.restrict(self.request.user, roles.RECRUITMENT_VIEW),
                                    pk=int(raw))
            queryset = queryset.filter(org__path__startswith=org.path)
        if stage := params.get("stage"):
            if stage not in Stage.values:
                raise ApiValidationError({"stage": ["请选择有效的阶段"]})
            queryset = queryset.filter(stage=stage)
        return queries.with_history(queryset) if self.action in ("list", "retrieve") else queryset

    @extend_schema(request=ApplicationSerializer, responses={201: CandidateSerializer}, summary="登记入党申请")
    def create(self, request):
        body = ApplicationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = {k: v for k, v in body.validated_data.items() if v not in ("", None)}
        org = resolve_in_scope(Organization, request.user, roles.RECRUITMENT_MANAGE, data.pop("org"), "org")
        candidate = actions.do_register_application(data=data, org=org, actor=request.user)
        return Response(CandidateSerializer(queries.with_history(Candidate.objects.filter(pk=candidate.pk)).get()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=TransferInSerializer, responses={201: CandidateSerializer},
                   summary="转入的预备党员建立预备期考察记录")
    @action(detail=False, methods=["post"], url_path="transferred-in")
    def transferred_in(self, request):
        body = TransferInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        member = resolve_in_scope(Member, request.user, roles.RECRUITMENT_MANAGE, body.validated_data["member"], "member")
        candidate = actions.do_open_probation_file(member, actor=request.user)
        return Response(CandidateSerializer(queries.with_history(Candidate.objects.filter(pk=candidate.pk)).get()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: StepSerializer(many=True)}, summary="发展过程（各环节）")
    @extend_schema(methods=["POST"], request=StepWriteSerializer, responses={201: StepSerializer}, summary="登记环节")
    @action(detail=True, methods=["get", "post"])
    def steps(self, request, pk=None):
        candidate = self.get_object()
        if request.method == "GET":
            steps = candidate.steps.prefetch_related("people__member").order_by("on", "id")
            return Response(StepSerializer(steps, many=True).data)
        body = StepWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        people = {}
        for field, role in PEOPLE.items():
            ids = data.pop(field, [])
            if ids:
                people[role] = [resolve_in_scope(Member, request.user, roles.MEMBER_VIEW, i, field) for i in ids]
        if data.get("org") is not None:
            data["org"] = resolve_in_scope(Organization, request.user, roles.RECRUITMENT_VIEW, data["org"], "org")
        kind, acknowledged = data.pop("kind"), data.pop("acknowledged")
        step = actions.do_record_step(candidate, kind=kind, data=data, people=people, acknowledged=acknowledged,
                                      actor=request.user)
        return Response(StepSerializer(Step.objects.prefetch_related("people__member").get(pk=step.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=MoveSerializer, responses={201: StepSerializer}, summary="转移到其他党支部")
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        candidate = self.get_object()
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        org = resolve_in_scope(Organization, request.user, roles.RECRUITMENT_MANAGE, body.validated_data["org"], "org")
        step = actions.do_move_file(candidate, to_org=org, on=body.validated_data["on"],
                                    reason=body.validated_data["reason"], actor=request.user)
        return Response(StepSerializer(step).data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[OpenApiParameter("kind", str, enum=DocumentKind.values, required=False,
                                                description="不带 kind 时列出可生成的文书")],
                   responses={(200, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"): bytes},
                   summary="生成文书（.docx）")
    @action(detail=True, methods=["get"])
    def document(self, request, pk=None):
        candidate = self.get_object()
        if "kind" not in request.query_params:
            return Response([{"kind": k, "label": label} for k, label in DocumentKind.choices])
        try:
            filename, content = paperwork.render(candidate, request.query_params.get("kind", ""))
        except ValidationError as exc:
            raise ApiValidationError(exc.message_dict) from None
        audit.record("recruitment.document", actor=request.user, obj=candidate, detail=filename[:200])
        return docx_response(content, filename, f"recruitment-{candidate.pk}.docx")


class HolidaySerializer(serializers.ModelSerializer):
    class Meta:
        model = Holiday
        fields = ["day", "is_working_day", "name"]
        extra_kwargs = {"day": {"validators": []}}  # the action updates an entered day in place


@extend_schema(parameters=[OpenApiParameter("year", int, description="只看某一年")])
class HolidayViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """节假日与调休：内置日历（chinese-calendar）未收录的年份，由系统管理员登记法定节假日和调休上班日；
    公示期等工作日时限据此计算。登记和删除均记入审计日志。"""

    scoped_model = Holiday
    default_perm = roles.CALENDAR_MANAGE
    serializer_class = HolidaySerializer
    lookup_field = "day"
    lookup_value_regex = r"\d{4}-\d{2}-\d{2}"

    def get_queryset(self):
        if not self.request.user.has_perm_anywhere(roles.CALENDAR_MANAGE):
            raise Http404
        queryset = super().get_queryset().order_by("day")
        if raw := self.request.query_params.get("year"):
            if not raw.isdigit():
                raise ApiValidationError({"year": ["年份应为整数"]})
            queryset = queryset.filter(day__year=int(raw))
        return queryset

    def get_object(self):
        try:
            day = dt.date.fromisoformat(self.kwargs["day"])
        except ValueError:
            raise Http404 from None
        return get_object_or_404(self.get_queryset(), day=day)

    @extend_schema(request=HolidaySerializer, responses={201: HolidaySerializer}, summary="登记节假日或调休上班日")
    def create(self, request):
        self.get_queryset()  # 404 for a user who may not keep the calendar
        body = HolidaySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        holiday = actions.do_set_holiday(day=data["day"], is_working_day=data.get("is_working_day", False),
                                         name=data["name"], actor=request.user)
        return Response(HolidaySerializer(holiday).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, summary="删除误登记的日期")
    def destroy(self, request, day=None):
        holiday = self.get_object()
        actions.do_delete_holiday(day=holiday.day, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ThoughtReportSerializer(serializers.ModelSerializer):
    has_original = serializers.SerializerMethodField()

    class Meta:
        model = ThoughtReport
        fields = ["id", "candidate", "submitted_on", "summary", "filename", "has_original", "comment", "reviewed_on"]

    def get_has_original(self, report) -> bool:
        return bool(report.content_type)


class ThoughtReportWriteSerializer(serializers.Serializer):
    candidate = serializers.IntegerField(help_text="发展党员对象编号")
    submitted_on = serializers.DateField()
    summary = serializers.CharField()
    file = serializers.FileField(required=False, allow_null=True, help_text="原件：PDF、Word（.docx）或 JPEG、PNG")


class ReviewSerializer(serializers.Serializer):
    comment = serializers.CharField()


@extend_schema(parameters=[OpenApiParameter("candidate", int, description="只看某一发展党员对象")])
class ThoughtReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """思想汇报：入党积极分子、发展对象和预备党员定期递交（间隔为本地规定），党支部审阅；登记和审阅记入审计日志。"""

    scoped_model = ThoughtReport
    default_perm = roles.RECRUITMENT_VIEW
    scope_perms = {"review": roles.RECRUITMENT_MANAGE}
    serializer_class = ThoughtReportSerializer

    def get_queryset(self):
        queryset = super().get_queryset().defer("content").order_by("candidate_id", "submitted_on", "id")
        if raw := self.request.query_params.get("candidate"):
            if not raw.isdigit():
                raise ApiValidationError({"candidate": ["发展党员对象编号应为整数"]})
            queryset = queryset.filter(candidate_id=int(raw))
        return queryset

    @extend_schema(request={"multipart/form-data": ThoughtReportWriteSerializer, "application/json":
                            ThoughtReportWriteSerializer}, responses={201: ThoughtReportSerializer},
                   summary="登记思想汇报")
    def create(self, request):
        body = ThoughtReportWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        candidate = resolve_in_scope(Candidate, request.user, roles.RECRUITMENT_MANAGE, data["candidate"], "candidate")
        report = actions.do_record_thought_report(candidate, submitted_on=data["submitted_on"], summary=data["summary"],
                                                  upload=data.get("file"), actor=request.user)
        return Response(ThoughtReportSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReviewSerializer, responses=ThoughtReportSerializer, summary="填写审阅意见")
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        report = self.get_object()
        body = ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = actions.do_review_thought_report(report, comment=body.validated_data["comment"], actor=request.user)
        return Response(ThoughtReportSerializer(report).data)
