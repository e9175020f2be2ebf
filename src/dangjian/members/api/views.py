from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from dangjian.accounts import roles
from dangjian.core.api import ScopedGenericViewSet, resolve_in_scope
from dangjian.members import actions
from dangjian.members.filtersets import MemberFilterSet
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

from .serializers import MemberSerializer, MemberWriteSerializer, RevealedSerializer, RevealSerializer, StatusSerializer


class MemberViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """党员档案：列表（可按姓名、拼音首字母、公民身份号码查询）、详情、新增、修改、党籍状态变更、查看完整信息。"""

    scoped_model = Member
    default_perm = roles.MEMBER_VIEW
    scope_perms = {"update": roles.MEMBER_CHANGE, "partial_update": roles.MEMBER_CHANGE,
                   "change_status": roles.MEMBER_CHANGE, "reveal": roles.MEMBER_REVEAL}
    serializer_class = MemberSerializer
    filterset_class = MemberFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("org").order_by("id")

    @extend_schema(request=MemberWriteSerializer, responses={201: MemberSerializer}, summary="新增党员")
    def create(self, request):
        body = MemberWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data.pop("version", None)
        if "org" not in data:
            return Response({"org": ["请选择所在党组织"]}, status=status.HTTP_400_BAD_REQUEST)
        org = resolve_in_scope(Organization, request.user, roles.MEMBER_ADD, data.pop("org"), "org")
        member = actions.do_create_member(data=data, org=org, actor=request.user)
        return Response(MemberSerializer(member).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=MemberWriteSerializer, responses={200: MemberSerializer}, summary="修改党员信息")
    def update(self, request, pk=None, partial=False):
        member = self.get_object()
        body = MemberWriteSerializer(member, data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        version = data.pop("version", None)
        org = resolve_in_scope(Organization, request.user, roles.MEMBER_CHANGE, data.pop("org"), "org") \
            if "org" in data else None
        member = actions.do_update_member(member, data=data, org=org, actor=request.user, expected_version=version)
        return Response(MemberSerializer(member).data)

    @extend_schema(request=MemberWriteSerializer, responses={200: MemberSerializer}, summary="部分修改党员信息")
    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    @extend_schema(request=StatusSerializer, responses={200: MemberSerializer}, summary="党籍状态变更")
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        member = self.get_object()
        body = StatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        member = actions.do_change_member_status(member, status=d["status"], on=d["status_changed_on"],
                                                 reason=d["status_reason"], actor=request.user,
                                                 expected_version=d.get("version"))
        return Response(MemberSerializer(member).data)

    @extend_schema(request=RevealSerializer, responses={200: RevealedSerializer}, summary="查看完整敏感信息（记入审计）")
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        member = self.get_object()
        body = RevealSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(actions.do_reveal_member(member, actor=request.user, reason=body.validated_data.get("reason", "")))
