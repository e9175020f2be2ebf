from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import calculator


class DuesCalculateView(APIView):
    """党费计算器：按类别和月基数计算比例与每月应交金额（金额为字符串形式的小数，精确到分）。"""

    scope_exempt = "a public calculator; reads no records"
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("category", OpenApiTypes.STR, required=True,
                             enum=["employed", "retired", "farmer", "student", "unemployed", "low_income"]),
            OpenApiParameter("base", OpenApiTypes.STR, description="月基数（元），在职与离退休必填"),
        ],
        responses=inline_serializer("DuesQuote", {
            "category": serializers.CharField(), "base": serializers.CharField(allow_null=True),
            "rate": serializers.CharField(allow_null=True), "amount": serializers.CharField(),
            "explanation": serializers.CharField()}),
        summary="党费计算",
    )
    def get(self, request):
        quote = calculator.calculate(request.query_params.get("category", ""), request.query_params.get("base"))
        return Response({
            "category": quote.category,
            "base": None if quote.base is None else str(quote.base),
            "rate": None if quote.rate is None else str(quote.rate.normalize()),
            "amount": str(quote.amount),
            "explanation": quote.explanation,
        })
