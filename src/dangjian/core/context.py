"""Per-request context (actor, source IP, request id) for the audit chain."""

from __future__ import annotations

import contextvars
import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    request_id: str = ""
    source: str = "system"  # web / api / cli / system


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "dangjian_request_context", default=RequestContext()
)


def current() -> RequestContext:
    return _current.get()


def client_ip(request) -> str | None:
    # Behind a trusted reverse proxy, configure it to set REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips).
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = uuid.uuid4().hex
        source = "api" if request.path.startswith("/api/") else "web"
        token = _current.set(RequestContext(ip=client_ip(request), request_id=request_id, source=source))
        request.request_id = request_id
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response


class NoStoreMiddleware:
    """Personal data must not be cached by browsers or proxies (ASVS 8.2.1)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response


def use_context(**kwargs) -> contextvars.Token:
    return _current.set(RequestContext(**kwargs))


def restore_context(token: contextvars.Token) -> None:
    """Undo a `use_context` (a background job that ran under its own context)."""
    _current.reset(token)
