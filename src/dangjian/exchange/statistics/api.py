"""GET /api/v1/statistics/annual?org=<id>&on=YYYY-MM-DD[&format=xlsx]: the tables as JSON, or the workbook."""

from __future__ import annotations

import tempfile

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from dangjian.accounts import roles
from dangjian.core.api import ScopedViewSetMixin
from dangjian.orgs.models import Organization

from ..export_views import xlsx_response
from . import actions
from .forms import parse_on, scoped_org

FORMATS = ("json", "xlsx")


class AnnualStatisticsView(ScopedViewSetMixin, APIView):
    """党内统计年报：某党组织及其全部下级党组织截至某日的各统计表（JSON），或整本 Excel（format=xlsx）。"""

    scoped_model = Organization
    default_perm = roles.STATISTICS_VIEW
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        # `format` chooses JSON or the workbook here, not a DRF renderer: always answer errors in JSON.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    @extend_schema(
        parameters=[
            OpenApiParameter("org", OpenApiTypes.INT, required=True, description="党组织编号"),
            OpenApiParameter("on", OpenApiTypes.DATE, description="统计截止日期，默认上一个12月31日"),
            OpenApiParameter("format", OpenApiTypes.STR, enum=list(FORMATS), description="json（默认）或 xlsx"),
        ],
        responses={200: OpenApiTypes.OBJECT},
        summary="党内统计年报",
    )
    def get(self, request):
        params = request.query_params
        errors = {}
        fmt = (params.get("format") or "json").strip().lower()
        if fmt not in FORMATS:
            errors["format"] = ["格式应为 json 或 xlsx"]
        org = scoped_org(request.user, params.get("org"))
        if org is None:
            errors["org"] = ["请用 org 参数给出党组织编号（整数）"]
        try:
            on = parse_on(params.get("on"))
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if errors:
            return Response(errors, status=400)
        if fmt == "xlsx":
            out = tempfile.TemporaryFile(prefix="dangjian-statistics-")
            try:
                result = actions.do_export_statistics(org=org, on=on, out=out, actor=request.user)
            except BaseException:
                out.close()
                raise
            return xlsx_response(out, result, f"statistics-{on:%Y%m%d}.xlsx")
        return Response(actions.do_export_statistics_data(org=org, on=on, actor=request.user))
