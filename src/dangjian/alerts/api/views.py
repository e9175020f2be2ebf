"""API of the warning engine: findings with their evidence, rectification tasks with their steps, and the steps
themselves (acknowledge, rectify, verify) — the same actions and scope as the pages."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from dangjian.accounts import roles
from dangjian.core.api import ScopedGenericViewSet
from dangjian.orgs.models import Organization

from .. import actions
from ..choices import Level, TaskState
from ..models import Evaluation, Finding, RectificationTask, TaskStep


class FindingSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "rule", "rule_name", "org", "member", "level", "level_display", "message", "citation",
                  "evidence", "first_seen", "last_seen", "resolved_on", "recurrences"]


class StepSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = TaskStep
        fields = ["id", "kind", "kind_display", "on", "at", "actor", "actor_name", "note"]

    def get_actor_name(self, step) -> str:
        return str(step.actor) if step.actor_id else "系统"


class TaskSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    finding = FindingSerializer(read_only=True)

    class Meta:
        model = RectificationTask
        fields = ["id", "org", "level", "state", "state_display", "opened_on", "deadline", "escalated_to",
                  "escalations", "reopened", "closed_on", "rectification_note", "finding"]


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=actions.NOTE_MAX, allow_blank=True, required=False, default="",
                                 help_text="整改情况及佐证材料说明（报告整改时必填）")


class VerifySerializer(NoteSerializer):
    accepted = serializers.BooleanField(help_text="true 核验通过并销号；false 退回整改（须说明理由）")


ORG = OpenApiParameter("org", int, description="只看该党组织及其下级组织")


def _filter_by_org(queryset, request):
    org_id = request.query_params.get("org")
    if org_id and str(org_id).isdigit():
        org = Organization.objects.restrict(request.user, roles.ALERTS_VIEW).filter(pk=org_id).first()
        return queryset.filter(org__path__startswith=org.path) if org else queryset.none()
    return queryset


@extend_schema(parameters=[ORG, OpenApiParameter("level", str, enum=Level.values),
                           OpenApiParameter("rule", str), OpenApiParameter("active", bool)])
class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """预警发现：列表（可按组织、灯色、规则筛选，`active=true` 只看未消除的）、详情（含证据）。"""

    scoped_model = Finding
    default_perm = roles.ALERTS_VIEW
    serializer_class = FindingSerializer

    def get_queryset(self):
        queryset = super().get_queryset().order_by("resolved_on", "org__path", "rule", "id")
        if self.action != "list":
            return queryset
        params = self.request.query_params
        queryset = _filter_by_org(queryset, self.request)
        if params.get("level") in Level.values:
            queryset = queryset.filter(level=params["level"])
        if params.get("rule"):
            queryset = queryset.filter(rule=params["rule"])
        if params.get("active") == "true":
            queryset = queryset.filter(resolved_on__isnull=True)
        return queryset


@extend_schema(parameters=[ORG, OpenApiParameter("state", str, enum=TaskState.values)])
class RectificationTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """督办任务：列表、详情、环节记录；签收、报告整改（附佐证说明）、上级核验（通过销号或退回）。"""

    scoped_model = RectificationTask
    default_perm = roles.ALERTS_VIEW
    scope_perms = {"acknowledge": roles.ALERTS_MANAGE, "rectify": roles.ALERTS_MANAGE, "verify": roles.ALERTS_VERIFY}
    serializer_class = TaskSerializer

    def get_queryset(self):
        queryset = super().get_queryset().select_related("finding").order_by("deadline", "id")
        if self.action == "list":
            queryset = _filter_by_org(queryset, self.request)
            if self.request.query_params.get("state") in TaskState.values:
                queryset = queryset.filter(state=self.request.query_params["state"])
        return queryset

    @extend_schema(responses=StepSerializer(many=True), summary="督办环节")
    @action(detail=True, methods=["get"])
    def steps(self, request, pk=None):
        task = self.get_object()
        return Response(StepSerializer(task.steps.select_related("actor"), many=True).data)

    @extend_schema(request=None, responses=TaskSerializer, summary="签收")
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        task = actions.do_acknowledge_task(self.get_object(), actor=request.user)
        return Response(TaskSerializer(task).data)

    @extend_schema(request=NoteSerializer, responses=TaskSerializer, summary="报告整改情况")
    @action(detail=True, methods=["post"])
    def rectify(self, request, pk=None):
        task = self.get_object()  # outside the scope: 404 before the body is read
        body = NoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = actions.do_rectify_task(task, note=body.validated_data["note"], actor=request.user)
        return Response(TaskSerializer(task).data)

    @extend_schema(request=VerifySerializer, responses=TaskSerializer, summary="上级核验")
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        task = self.get_object()
        body = VerifySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = actions.do_verify_task(task, accepted=body.validated_data["accepted"],
                                      note=body.validated_data["note"], actor=request.user)
        return Response(TaskSerializer(task).data)


class EvaluationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evaluation
        fields = ["id", "on", "started_at", "finished_at", "opened", "still_open", "resolved", "tasks_opened",
                  "tasks_reopened", "tasks_escalated", "seconds"]


class EvaluationRequestSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, help_text="评估日期，默认今天")


class EvaluationViewSet(mixins.ListModelMixin, ScopedGenericViewSet):
    """预警评估（组织部）：历次评估的结果；`POST` 立即评估全部规则（后台运行，返回 202）。"""

    scoped_model = Evaluation
    default_perm = roles.ALERTS_EVALUATE
    serializer_class = EvaluationSerializer

    def get_queryset(self):
        return super().get_queryset().order_by("-started_at")

    @extend_schema(request=EvaluationRequestSerializer, responses={202: None}, summary="立即评估")
    def create(self, request):
        body = EvaluationRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actions.do_request_evaluation(actor=request.user, on=body.validated_data.get("on"))
        return Response({"detail": "已加入后台队列"}, status=202)


class WarningRuleSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    citation = serializers.CharField()
    levels = serializers.ListField(child=serializers.CharField())
    parameters = serializers.DictField(help_text="规则读取的参数及现行取值")


class WarningRuleViewSet(ScopedGenericViewSet):
    """预警规则：每条规则的说明、依据、灯色和现行参数。"""

    scoped_model = Finding
    default_perm = roles.ALERTS_VIEW
    serializer_class = WarningRuleSerializer

    @extend_schema(responses=WarningRuleSerializer(many=True), summary="预警规则")
    def list(self, request):
        import datetime as dt

        from django.http import Http404

        from ..rules import REGISTRY

        if not request.user.has_perm_anywhere(roles.ALERTS_VIEW):
            raise Http404
        today = dt.date.today()
        return Response([{"code": r.code, "name": r.name, "description": r.description, "citation": r.citation,
                          "levels": list(r.levels), "parameters": r.parameter_values(today)}
                         for r in REGISTRY.values()])
