from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from dangjian.accounts import actions
from dangjian.accounts.models import ApiToken


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, label="账号")
    password = serializers.CharField(max_length=128, trim_whitespace=False, label="密码")


TokenResponse = inline_serializer("TokenResponse", {"token": serializers.CharField()})


class TokenView(APIView):
    """Issue an API token for a username and password; DELETE revokes the token in use."""

    scope_exempt = "authenticates the caller; reads no scoped data"
    permission_classes = [AllowAny]
    authentication_classes = []

    def get_authenticators(self):
        if getattr(self, "request", None) is not None and self.request.method == "DELETE":
            from dangjian.accounts.tokens import TokenAuthentication

            return [TokenAuthentication()]
        return []

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponse}, auth=[], summary="获取接口令牌")
    def post(self, request):
        body = TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = actions.authenticate_password(body.validated_data["username"], body.validated_data["password"])
        if user is None:
            return Response({"non_field_errors": [actions.login_failed_message()]}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"token": actions.do_issue_api_token(user)})

    @extend_schema(request=None, responses={204: None}, summary="撤销当前使用的接口令牌")
    def delete(self, request):
        if not request.user.is_authenticated or not isinstance(request.auth, ApiToken):
            return Response({"detail": "请使用令牌认证后再撤销令牌"}, status=status.HTTP_401_UNAUTHORIZED)
        actions.do_revoke_api_token(request.auth, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
