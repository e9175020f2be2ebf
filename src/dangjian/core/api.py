"""REST API plumbing shared by every app: error format and the scoped viewset base."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, viewsets
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """Django ValidationErrors raised by actions become 400 responses with field errors;
    a stale optimistic-lock version becomes 409."""
    if isinstance(exc, DjangoValidationError) and getattr(exc, "code", None) == "stale":
        exc = Conflict(exc.messages[0])
    elif isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError(
                {("non_field_errors" if k == "__all__" else k): v for k, v in exc.message_dict.items()}
            )
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    return drf_exception_handler(exc, context)


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = "该记录已被他人修改，请刷新后重试"
    default_code = "conflict"


def resolve_in_scope(model, user, perm: str, pk, field: str):
    """Turn an id from a request body into an object the user may act on; anything else is a 400."""
    obj = model.objects.restrict(user, perm).filter(pk=pk).first()
    if obj is None:
        raise exceptions.ValidationError({field: ["所选对象不存在或不在您的管理范围内"]})
    return obj


class ScopedViewSetMixin:
    """Every queryset is `.restrict(user, perm)`; objects outside the scope answer 404.

    `scoped_model` names the model; `scope_perms` maps DRF actions to permissions.
    """

    scoped_model = None
    scope_perms: dict[str, str] = {}
    default_perm: str = ""

    def perm_for_action(self) -> str:
        return self.scope_perms.get(self.action, self.default_perm)

    def get_queryset(self):
        return self.scoped_model.objects.restrict(self.request.user, self.perm_for_action())


class ScopedGenericViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    pass


__all__ = ["Http404", "ScopedGenericViewSet", "ScopedViewSetMixin", "exception_handler"]
