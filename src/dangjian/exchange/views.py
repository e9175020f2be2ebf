"""Import pages: upload → preview (every error) → confirm → progress → done."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views import View
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core.views import ScopedViewMixin, form_errors_from, paginate
from dangjian.orgs.models import Organization

from . import actions, exporting, workbooks
from .columns import KIND_LABELS
from .forms import ImportForm
from .models import ImportJob, ImportRow

SHOWN_ERRORS = 200


def xlsx_response(content: bytes, filename: str, ascii_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=exporting.XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = exporting.content_disposition(filename, ascii_name)
    return response


class ImportScoped(ScopedViewMixin):
    """An import job is its importer's own; everyone who may add members may import."""

    scoped_model = ImportJob
    perm = roles.MEMBER_ADD


class ImportListView(ImportScoped, TemplateView):
    template_name = "exchange/imports.html"

    def orgs(self):
        return (Organization.objects.restrict(self.request.user, roles.MEMBER_ADD)
                .filter(status="active").order_by("path"))

    def get_context_data(self, form=None, **kwargs):
        return super().get_context_data(
            form=form or ImportForm(orgs=self.orgs()), page=paginate(self.request, self.scoped().select_related("root_org")),
            kinds=KIND_LABELS, **kwargs)

    def post(self, request):
        form = ImportForm(request.POST, request.FILES, orgs=self.orgs())
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = actions.do_start_import(
                    kind=form.cleaned_data["kind"], file_name=upload.name, data=upload.read(),
                    root_org=form.cleaned_data["org"], actor=request.user,
                    keep_valid=form.cleaned_data["keep_valid"], source="web")
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                return redirect("imports:detail", pk=job.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ImportDetailView(ImportScoped, TemplateView):
    template_name = "exchange/import_detail.html"

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["exchange/_import_status.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        job = self.get_scoped_object()
        errors = (ImportRow.objects.filter(job=job, outcome=ImportRow.Outcome.ERROR)
                  .only("row_number", "errors").order_by("row_number")[:SHOWN_ERRORS])
        shown = [(row.row_number, column, reason) for row in errors for column, reason in row.errors]
        return super().get_context_data(job=job, errors=shown, shown_limit=SHOWN_ERRORS, **kwargs)


class ImportCommitView(ImportScoped, View):
    def post(self, request, pk):
        job = self.get_scoped_object()
        try:
            actions.do_commit_import(job, actor=request.user, keep_valid=request.POST.get("keep_valid") == "on" or None)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "已开始导入，请稍候")
        return redirect("imports:detail", pk=job.pk)


class ImportCancelView(ImportScoped, View):
    def post(self, request, pk):
        job = self.get_scoped_object()
        try:
            actions.do_cancel_import(job, actor=request.user)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, "已取消导入")
        return redirect("imports:detail", pk=job.pk)


class ImportErrorsView(ImportScoped, View):
    def get(self, request, pk):
        job = self.get_scoped_object()
        return xlsx_response(workbooks.error_report(job), f"导入错误报告-{job.pk}.xlsx", f"import-errors-{job.pk}.xlsx")


class TemplateDownloadView(ImportScoped, View):
    def get(self, request, kind):
        return xlsx_response(workbooks.template(kind), f"{KIND_LABELS[kind]}导入模板.xlsx", f"{kind}-template.xlsx")


