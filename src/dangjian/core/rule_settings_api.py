"""API of the rule settings: the adjustable values in force, adjusting one and restoring one (system administrator)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from dangjian.accounts import roles

from . import rule_settings, rulebook
from .api import ScopedGenericViewSet
from .models import RuleSetting


class RuleValueSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    value = serializers.JSONField()
    regulation_value = serializers.JSONField()
    source = serializers.ChoiceField(choices=["app", "deployment", "regulation"])
    citation = serializers.CharField()


class RuleChangeSerializer(serializers.Serializer):
    value = serializers.JSONField(help_text="新取值，格式与现行取值相同")
    reason = serializers.CharField(max_length=rule_settings.REASON_MAX, help_text="调整依据（本地文件名称和文号）")


class ResetSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=rule_settings.REASON_MAX)


_row = rule_settings.describe


class RuleSettingViewSet(ScopedGenericViewSet):
    """规则参数：党内法规授权地方确定或尚待核实的取值（系统管理员）。调整和恢复都须写明依据，记入审计日志。"""

    scoped_model = RuleSetting
    default_perm = roles.RULES_MANAGE
    lookup_field = "name"
    lookup_value_regex = "[a-z_]+"

    def _name(self, name):
        if name not in rulebook.ADJUSTABLE or not self.request.user.has_perm_anywhere(roles.RULES_MANAGE):
            raise Http404
        return name

    @extend_schema(responses=RuleValueSerializer(many=True), summary="可调整的规则参数")
    def list(self, request):
        if not request.user.has_perm_anywhere(roles.RULES_MANAGE):
            raise Http404
        return Response([_row(name) for name in rulebook.ADJUSTABLE])

    @extend_schema(responses=RuleValueSerializer, summary="一项规则参数")
    def retrieve(self, request, name=None):
        return Response(_row(self._name(name)))

    @extend_schema(request=RuleChangeSerializer, responses=RuleValueSerializer, summary="调整取值")
    def update(self, request, name=None):
        name = self._name(name)
        body = RuleChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rule_settings.do_set_rule_value(name, body.validated_data["value"], reason=body.validated_data["reason"],
                                        actor=request.user)
        return Response(_row(name))

    @extend_schema(request=ResetSerializer, responses=RuleValueSerializer, summary="恢复法规规定的取值")
    @action(detail=True, methods=["post"])
    def reset(self, request, name=None):
        name = self._name(name)
        body = ResetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rule_settings.do_reset_rule_value(name, reason=body.validated_data["reason"], actor=request.user)
        return Response(_row(name))
