"""The statistics page: choose an organisation and a day, preview every table, download the workbook."""

from __future__ import annotations

import tempfile

from django.shortcuts import render
from django.views import View

from dangjian.accounts import roles
from dangjian.core.views import ScopedViewMixin
from dangjian.orgs.models import Organization

from ..export_views import xlsx_response
from . import actions
from .forms import StatisticsForm, last_year_end, scoped_org
from .report import annual_report


class StatisticsMixin(ScopedViewMixin):
    scoped_model = Organization
    perm = roles.STATISTICS_VIEW

    def bound_form(self):
        """The form of the query string; an organisation outside the scope answers 404 before any validation."""
        query = self.request.GET
        if "org" not in query and "on" not in query:
            return None
        scoped_org(self.request.user, query.get("org"))
        if "on" not in query:  # a link that names only the organisation: the last year-end
            query = query.copy()
            query["on"] = last_year_end().isoformat()
        return StatisticsForm(query, user=self.request.user)


class StatisticsView(StatisticsMixin, View):
    def get(self, request):
        form = self.bound_form()
        report = None
        if form is None:
            first = Organization.objects.restrict(request.user, self.perm).only("pk").first()
            form = StatisticsForm(user=request.user, initial={"on": last_year_end(), "org": first})
        elif form.is_valid():
            report = annual_report(form.cleaned_data["org"], form.cleaned_data["on"])
        return render(request, "exchange/statistics.html", {
            "form": form, "report": report, "query": request.GET.urlencode()})


class StatisticsDownloadView(StatisticsMixin, View):
    def get(self, request):
        form = self.bound_form()
        if form is None or not form.is_valid():
            form = form or StatisticsForm({}, user=request.user)
            form.is_valid()
            return render(request, "exchange/statistics.html", {"form": form, "report": None}, status=400)
        out = tempfile.TemporaryFile(prefix="dangjian-statistics-")
        try:
            result = actions.do_export_statistics(org=form.cleaned_data["org"], on=form.cleaned_data["on"], out=out,
                                                  actor=request.user)
        except BaseException:
            out.close()
            raise
        return xlsx_response(out, result, f"statistics-{form.cleaned_data['on']:%Y%m%d}.xlsx")

