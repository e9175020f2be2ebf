from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from dangjian.accounts import roles
from dangjian.core.api import ScopedGenericViewSet, resolve_in_scope
from dangjian.orgs.models import Organization

from .. import actions
from ..models import ImportJob, ImportRow
from .serializers import ImportCommitSerializer, ImportErrorSerializer, ImportJobSerializer, ImportStartSerializer


class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """批量导入：上传文件后先校验全部行（异步），查看每一处错误，再确认导入。只能看到自己发起的任务。"""

    scoped_model = ImportJob
    default_perm = roles.MEMBER_ADD
    serializer_class = ImportJobSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return super().get_queryset().select_related("root_org").order_by("-id")

    @extend_schema(request={"multipart/form-data": ImportStartSerializer}, responses={202: ImportJobSerializer},
                   summary="上传并校验（可选直接导入）")
    def create(self, request):
        body = ImportStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        perm = actions.KIND_PERMS[data["kind"]]
        org = resolve_in_scope(Organization, request.user, perm, data["org"], "org")
        job = actions.do_start_import(kind=data["kind"], file_name=data["file"].name, data=data["file"].read(),
                                      root_org=org, actor=request.user, keep_valid=data["keep_valid"],
                                      commit=data["commit"], source="api")
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=ImportCommitSerializer, responses={202: ImportJobSerializer}, summary="确认导入")
    @action(detail=True, methods=["post"])
    def commit(self, request, pk=None):
        body = ImportCommitSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = actions.do_commit_import(self.get_object(), actor=request.user,
                                       keep_valid=body.validated_data.get("keep_valid"))
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: ImportJobSerializer}, summary="取消导入")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        job = actions.do_cancel_import(self.get_object(), actor=request.user)
        return Response(ImportJobSerializer(job).data)

    @extend_schema(responses={200: ImportErrorSerializer(many=True)}, summary="全部错误（行号、列、原因）")
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        job = self.get_object()
        rows = ImportRow.objects.filter(job=job, outcome=ImportRow.Outcome.ERROR).only("row_number", "errors")
        items = [{"row": r.row_number, "column": c, "reason": reason}
                 for r in rows.order_by("row_number").iterator() for c, reason in r.errors]
        page = self.paginate_queryset(items)
        if page is not None:
            return self.get_paginated_response(page)
        return Response(items)
