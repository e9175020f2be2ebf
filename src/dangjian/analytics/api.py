"""API of the indicator refreshes: the runs, and a request for a refresh now (runs in the background)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.response import Response

from dangjian.accounts import roles
from dangjian.core.api import ScopedGenericViewSet

from . import actions
from .engines import ENGINES
from .models import RefreshRun


class RefreshRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = RefreshRun
        fields = ["id", "as_of", "engine", "state", "started_at", "finished_at", "timings", "error"]


class RefreshRequestSerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text="统计截止日期，默认今天",
                                  error_messages={"invalid": "统计截止日期格式应为 YYYY-MM-DD"})
    engine = serializers.ChoiceField(choices=ENGINES, required=False, help_text="计算引擎，默认 duckdb",
                                     error_messages={"invalid_choice": "未知的计算引擎（可选 duckdb、postgres、spark）"})


class RefreshRunViewSet(mixins.ListModelMixin, ScopedGenericViewSet):
    """指标计算：历次计算（状态、各步耗时）；`POST` 立即计算全部指标（后台运行，返回 202）。"""

    scoped_model = RefreshRun
    default_perm = roles.ANALYTICS_VIEW
    serializer_class = RefreshRunSerializer

    def get_queryset(self):
        # Deployment-wide records without organisation data: visible to whoever may view indicators anywhere.
        if not self.request.user.has_perm_anywhere(roles.ANALYTICS_VIEW):
            raise Http404
        return RefreshRun.objects.order_by("-started_at")

    @extend_schema(request=RefreshRequestSerializer, responses={202: None}, summary="立即计算")
    def create(self, request):
        body = RefreshRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        actions.do_request_refresh(actor=request.user, as_of=body.validated_data.get("as_of"),
                                   engine=body.validated_data.get("engine"))
        return Response({"detail": "已加入后台队列"}, status=202)
