"""API of the cockpit (数字驾驶舱): the organisations a user may open, the whole cockpit of one organisation (what the
big screen and the phone view poll), and its branch rankings. Read only; scoped by `analytics.view`."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from dangjian.accounts import roles
from dangjian.core.api import ScopedGenericViewSet
from dangjian.orgs.models import Organization

from .. import queries


class OrgRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    org_type = serializers.CharField()


class CockpitOrgSerializer(OrgRefSerializer):
    org_type_display = serializers.CharField()


class PartSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    display = serializers.CharField()


class KpiSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="指标代码（见指标目录）")
    name = serializers.CharField()
    unit = serializers.CharField()
    kind = serializers.CharField(help_text="count 数量；ratio 比率（0..1）；score 0..100 分")
    value = serializers.FloatField(allow_null=True)
    display = serializers.CharField(help_text="显示值：比率已换算为百分数")
    previous = serializers.FloatField(allow_null=True, help_text="上月末的值；无则为空")
    change = serializers.FloatField(allow_null=True, help_text="较上月末的变化（比率为 0..1 之差）")
    change_display = serializers.CharField()
    better = serializers.BooleanField(allow_null=True, help_text="变化是否向好（未整改预警以减少为好）")
    parts = PartSerializer(many=True, help_text="分项，如红灯、黄灯，发展党员各环节")
    numerator = serializers.FloatField(allow_null=True)
    denominator = serializers.FloatField(allow_null=True)


class PointSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    label = serializers.CharField(help_text="月末记为“年-月”，最新统计日记为日期")
    value = serializers.FloatField(allow_null=True, help_text="比率以百分数给出")


class SeriesSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    kind = serializers.CharField()
    points = PointSerializer(many=True, help_text="近12个月月末（及最新统计日）的值")


class StructureItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField()
    share = serializers.FloatField(allow_null=True)


class StructureSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    items = StructureItemSerializer(many=True)


class TreeNodeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    full_name = serializers.CharField()
    org_type = serializers.CharField()
    members = serializers.FloatField(allow_null=True, help_text="党员总数（整个下级范围，取自指标计算）")
    light = serializers.CharField(allow_null=True, help_text="red / yellow / green：本组织及下级组织未消除预警中最重的灯色")
    red_orgs = serializers.IntegerField()
    yellow_orgs = serializers.IntegerField()
    children = serializers.ListField(child=serializers.DictField(), help_text="下一级组织，结构同本节点")


class LightSerializer(serializers.Serializer):
    level = serializers.CharField()
    red_orgs = serializers.IntegerField()
    yellow_orgs = serializers.IntegerField()


class RankingRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(help_text="名次；并列者名次相同（1、2、2、4）")
    org_id = serializers.IntegerField()
    name = serializers.CharField()
    value = serializers.FloatField()
    display = serializers.CharField()
    base = serializers.FloatField(allow_null=True, help_text="比较日的值（进步榜）")
    delta = serializers.FloatField(allow_null=True, help_text="较比较日的变化（进步榜）")
    delta_display = serializers.CharField()


class RankingSerializer(serializers.Serializer):
    by = serializers.CharField(help_text="vitality 支部活力指数；month 较上月末进步；year 较12个月前进步")
    base_as_of = serializers.DateField(allow_null=True)
    rows = RankingRowSerializer(many=True)
    note = serializers.CharField(allow_blank=True)


class RankingsSerializer(serializers.Serializer):
    vitality = RankingSerializer()
    improvement_month = RankingSerializer()
    improvement_year = RankingSerializer()


class RefreshSerializer(serializers.Serializer):
    finished_at = serializers.DateTimeField(allow_null=True)
    engine = serializers.CharField()


class CockpitSerializer(serializers.Serializer):
    org = CockpitOrgSerializer()
    parent = OrgRefSerializer(allow_null=True, help_text="上级组织（在本人范围内时）")
    is_branch = serializers.BooleanField()
    as_of = serializers.DateField(allow_null=True, help_text="所读指标计算的统计截止日期；尚未计算时为空")
    previous_as_of = serializers.DateField(allow_null=True, help_text="变化的比较日（上月末）")
    refresh = RefreshSerializer(allow_null=True, help_text="产生这些数值的指标计算")
    empty = serializers.BooleanField(help_text="尚未计算指标")
    empty_message = serializers.CharField(allow_blank=True)
    kpis = KpiSerializer(many=True)
    trends = SeriesSerializer(many=True)
    structure = StructureSerializer(many=True)
    light = LightSerializer(allow_null=True)
    tree = TreeNodeSerializer(many=True)
    tree_depth = serializers.IntegerField()
    rankings = RankingsSerializer()


class RankingQuerySerializer(serializers.Serializer):
    by = serializers.ChoiceField(["vitality", "month", "year"], default="vitality",
                                 error_messages={"invalid_choice": "排序方式应为 vitality、month 或 year"})
    limit = serializers.IntegerField(min_value=1, max_value=queries.RANKING_MAX, default=queries.RANKING_SIZE,
                                     error_messages={"invalid": "名次数应为整数",
                                                     "min_value": "名次数至少为 1",
                                                     "max_value": f"名次数最多为 {queries.RANKING_MAX}"})


class CockpitViewSet(mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """数字驾驶舱：可查看的最高层级组织；某一组织（含全部下级）的驾驶舱数据（指标卡、趋势、结构、组织云图、排行榜），
    均读取指标计算的结果；支部排行榜。"""

    scoped_model = Organization
    default_perm = roles.ANALYTICS_VIEW
    serializer_class = CockpitSerializer

    @extend_schema(responses=OrgRefSerializer(many=True), summary="可查看驾驶舱的组织（本人范围的最高层级）")
    def list(self, request):
        from dangjian.orgs.queries import top_visible

        if not request.user.has_perm_anywhere(self.default_perm):
            raise Http404
        tops = top_visible(request.user, self.default_perm)
        return Response(OrgRefSerializer([queries.org_ref(o) for o in tops], many=True).data)

    @extend_schema(responses=CockpitSerializer, summary="某一组织的驾驶舱数据")
    def retrieve(self, request, pk=None):
        org = self.get_object()
        return Response(CockpitSerializer(queries.cockpit(org, request.user)).data)

    @extend_schema(parameters=[OpenApiParameter("by", str, enum=["vitality", "month", "year"]),
                               OpenApiParameter("limit", int, description=f"名次数，1..{queries.RANKING_MAX}")],
                   responses=RankingSerializer, summary="支部排行榜（活力指数或进步幅度）")
    @action(detail=True, methods=["get"])
    def rankings(self, request, pk=None):
        org = self.get_object()  # outside the scope: 404 before the parameters are read
        params = RankingQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        by, limit = params.validated_data["by"], params.validated_data["limit"]
        as_of = queries.latest_as_of(org, request.user)
        if as_of is None:
            ranking = {**queries.ranking_shell(by, None), "note": queries.empty_message()}
        else:
            key = {"vitality": "vitality", "month": "improvement_month", "year": "improvement_year"}[by]
            ranking = queries.rankings(org, request.user, as_of, limit=limit)[key]
        return Response(RankingSerializer(ranking).data)
