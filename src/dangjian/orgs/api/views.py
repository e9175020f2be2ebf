import datetime

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from dangjian.accounts import roles
from dangjian.core.api import ScopedGenericViewSet, resolve_in_scope
from dangjian.orgs import actions
from dangjian.orgs.choices import OrgStatus, OrgType
from dangjian.orgs.models import Organization
from dangjian.orgs.queries import with_parent_pk

from .serializers import (
    AsOfQuerySerializer, AsOfSerializer, DissolveSerializer, MergeSerializer, MoveMembersSerializer, MoveSerializer,
    OrganizationSerializer, OrganizationWriteSerializer,
)


class OrganizationFilterSet(filters.FilterSet):
    parent = filters.NumberFilter(label="上级党组织（直接下级）", method="filter_parent")
    org_type = filters.ChoiceFilter(choices=OrgType.choices, label="组织类别")
    status = filters.ChoiceFilter(choices=OrgStatus.choices, label="状态")
    q = filters.CharFilter(label="名称或代码", method="filter_q")

    class Meta:
        model = Organization
        fields = ["parent", "org_type", "status", "q"]

    def filter_parent(self, queryset, name, value):
        parent = Organization.objects.filter(pk=value).first()
        if parent is None:
            return queryset.none()
        return queryset.filter(path__startswith=parent.path, depth=parent.depth + 1)

    def filter_q(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(code__iexact=value) | Q(short_name__icontains=value))


class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """党组织：列表、详情、新增、修改、调整隶属关系、撤销。"""

    scoped_model = Organization
    default_perm = roles.ORG_VIEW
    scope_perms = {"update": roles.ORG_CHANGE, "partial_update": roles.ORG_CHANGE, "move": roles.ORG_MOVE,
                   "dissolve": roles.ORG_DISSOLVE, "merge": roles.ORG_DISSOLVE, "move_members": roles.ORG_MOVE}
    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilterSet

    def get_queryset(self):
        return with_parent_pk(super().get_queryset()).order_by("path")

    def _read(self, org):
        return OrganizationSerializer(with_parent_pk(Organization.objects.filter(pk=org.pk)).get()).data

    @extend_schema(request=OrganizationWriteSerializer, responses={201: OrganizationSerializer}, summary="新增党组织")
    def create(self, request):
        body = OrganizationWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        parent_pk = data.pop("parent", None)
        data.pop("version", None)
        parent = resolve_in_scope(Organization, request.user, roles.ORG_ADD, parent_pk, "parent") if parent_pk else None
        org = actions.do_create_organization(parent=parent, data=data, actor=request.user)
        return Response(self._read(org), status=status.HTTP_201_CREATED)

    @extend_schema(request=OrganizationWriteSerializer, responses={200: OrganizationSerializer}, summary="修改党组织")
    def update(self, request, pk=None, partial=False):
        org = self.get_object()
        body = OrganizationWriteSerializer(org, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("parent", None)
        version = data.pop("version", None)
        effective_on = data.pop("effective_on", None)
        org = actions.do_update_organization(org, data=data, actor=request.user, expected_version=version,
                                             effective_on=effective_on)
        return Response(self._read(org))

    @extend_schema(request=OrganizationWriteSerializer, responses={200: OrganizationSerializer}, summary="部分修改党组织")
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(request=MoveSerializer, responses={200: OrganizationSerializer}, summary="调整隶属关系")
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        org = self.get_object()
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        parent = resolve_in_scope(Organization, request.user, roles.ORG_MOVE, body.validated_data["parent"], "parent")
        org = actions.do_move_organization(org, new_parent=parent, actor=request.user,
                                           on=body.validated_data.get("effective_on"))
        return Response(self._read(org))

    @extend_schema(request=DissolveSerializer, responses={200: OrganizationSerializer}, summary="撤销党组织")
    @action(detail=True, methods=["post"])
    def dissolve(self, request, pk=None):
        org = self.get_object()
        body = DissolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        org = actions.do_dissolve_organization(org, on=body.validated_data["dissolved_on"],
                                               reason=body.validated_data["dissolved_reason"], actor=request.user)
        return Response(self._read(org))



    @extend_schema(request=MergeSerializer, responses={200: OrganizationSerializer},
                   summary="合并党组织：本组织的党员和下级组织自生效日期起并入另一组织，本组织撤销")
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        org = self.get_object()
        body = MergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        into = resolve_in_scope(Organization, request.user, roles.ORG_MOVE, body.validated_data["into"], "into")
        into = actions.do_merge_organizations(org, into=into, on=body.validated_data["effective_on"],
                                              reason=body.validated_data["reason"], actor=request.user)
        return Response(self._read(into))

    @extend_schema(request=MoveMembersSerializer, responses={200: OrganizationSerializer},
                   summary="组织调整：把党员编入本组织（支部拆分、合并时使用，不走转接流程）")
    @action(detail=True, methods=["post"], url_path="move-members")
    def move_members(self, request, pk=None):
        from dangjian.members.actions import do_move_members

        org = self.get_object()
        body = MoveMembersSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        do_move_members(body.validated_data["members"], to_org=org, on=body.validated_data["effective_on"],
                        reason=body.validated_data["reason"], actor=request.user)
        return Response(self._read(org))

    @extend_schema(parameters=[AsOfQuerySerializer], responses={200: AsOfSerializer},
                   summary="历史查询：某一天的组织结构（当日名称、类别、隶属关系）及当日党员人数")
    @action(detail=True, methods=["get"], url_path="as-of")
    def as_of(self, request, pk=None):
        from dangjian.orgs.queries import as_of

        org = self.get_object()
        query = AsOfQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("date") or datetime.date.today()
        result = as_of(org, day)
        if result is None:
            raise exceptions.ValidationError({"date": [f"{day:%Y年%m月%d日}该组织尚未成立或没有记录"]})
        return Response(AsOfSerializer(result).data)
