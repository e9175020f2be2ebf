"""Export pages: GET shows what will be exported and the options; POST returns the .xlsx (or the form with
the reason for a refusal). The work and the audit record are in `exporting.do_export_*`."""

from __future__ import annotations

import tempfile

from django import forms
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from dangjian.accounts import roles
from dangjian.core.forms import BootstrapForm
from dangjian.core.views import ScopedViewMixin, form_errors_from
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

from . import exporting


class ExportForm(BootstrapForm):
    reveal = forms.BooleanField(label="导出完整敏感信息", required=False)
    reason = forms.CharField(
        label="理由", required=False, max_length=exporting.REASON_MAX_LENGTH,
        help_text="导出完整敏感信息时必填，至少 4 个字，如“向上级组织部门报送党员信息”；将记入审计日志",
    )


def xlsx_response(file, result: exporting.ExportResult, ascii_name: str) -> FileResponse:
    """Stream the workbook from an unlinked temporary file; the file is closed (and gone) after the response."""
    file.seek(0)
    response = FileResponse(file, as_attachment=True, filename=ascii_name, content_type=exporting.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = exporting.content_disposition(result.file_name, ascii_name)
    response["Cache-Control"] = "no-store"
    return response


class ExportView(ScopedViewMixin, View):
    """Shared GET/POST handling; subclasses say what is exported and by which action."""

    template_name = ""
    ascii_name = "export.xlsx"

    def context(self) -> dict:
        raise NotImplementedError

    def export(self, out, form):
        raise NotImplementedError

    def render_form(self, form, context):
        return render(self.request, self.template_name, {"form": form, **context})

    def get(self, request, **kwargs):
        context = self.context()
        return self.render_form(ExportForm(), context)

    def post(self, request, **kwargs):
        context = self.context()
        form = ExportForm(request.POST)
        if form.is_valid():
            out = tempfile.TemporaryFile(prefix="dangjian-export-")  # unlinked at once: nothing to clean up
            try:
                result = self.export(out, form)
            except ValidationError as exc:
                out.close()
                form_errors_from(form, exc)
            except BaseException:
                out.close()
                raise
            else:
                return xlsx_response(out, result, self.ascii_name)
        return self.render_form(form, context)


class MemberExportView(ExportView):
    """The member list's current filter, exported (scope: the members the user may view)."""

    scoped_model = Member
    perm = roles.MEMBER_VIEW
    template_name = "exchange/export_members.html"
    ascii_name = "members.xlsx"

    def context(self) -> dict:
        params = exporting.member_export_params(self.request.GET)
        filterset = exporting.member_filterset(self.request.user, params)
        queryset = filterset.qs
        query = self.request.GET.copy()
        query.pop("page", None)
        if "status" not in query:
            query["status"] = params["status"]
        return {
            "count": queryset.count(),
            "description": exporting.describe_member_filter(filterset, self.request.user),
            "can_reveal": exporting.may_reveal_all(self.request.user, queryset),
            "query": query.urlencode(),
            "back_url": reverse("members:list") + "?" + query.urlencode(),
        }

    def export(self, out, form):
        return exporting.do_export_members(
            params=self.request.GET, out=out, actor=self.request.user,
            reveal=form.cleaned_data["reveal"], reason=form.cleaned_data["reason"])


class OrgExportView(ExportView):
    """An organisation and its subtree (scope: the organisations the user may view)."""

    scoped_model = Organization
    perm = roles.ORG_VIEW
    template_name = "exchange/export_orgs.html"

    @property
    def ascii_name(self) -> str:
        return f"organizations-{self.org.code}.xlsx"

    def context(self) -> dict:
        self.org = self.get_scoped_object()
        root, queryset = exporting.org_subtree(self.request.user, self.org)
        return {"org": root, "count": queryset.count(),
                "can_reveal": exporting.may_reveal_all(self.request.user, queryset)}

    def export(self, out, form):
        return exporting.do_export_organizations(
            org=self.org, out=out, actor=self.request.user,
            reveal=form.cleaned_data["reveal"], reason=form.cleaned_data["reason"])
