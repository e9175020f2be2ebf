"""Pages of recruitment (发展党员): the pipeline board, a person's timeline, the step forms, the paperwork.

Every page reads through `.restrict(user, perm)` (404 outside the scope) and writes through `recruitment.actions`;
the actions' Chinese reasons, with the article they cite, are shown beside the fields they name.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core import audit
from dangjian.core.views import ActionFormView, ScopedViewMixin, form_errors_from
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.orgs.queries import top_visible

from . import actions, paperwork, queries
from .choices import COMMITTEE_STEPS, ENDED_STAGES, OWN_ACTION_STEPS, DocumentKind, Stage, StepKind
from .forms import (
    ApplicationForm, HolidayForm, MoveFileForm, StepForm, TemplateForm, ThoughtReportForm, ThoughtReportReviewForm, TransferredInForm,
)
from .models import Candidate, DocumentTemplate, Holiday, ThoughtReport
from .workdays import covered_by_builtin

K = StepKind


class RecruitmentScoped(ScopedViewMixin):
    scoped_model = Candidate
    perm = roles.RECRUITMENT_VIEW


class BoardView(RecruitmentScoped, TemplateView):
    """Who is at which stage in the branches in scope, the next step and the time limits running."""

    template_name = "recruitment/board.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        orgs = Organization.objects.restrict(user, roles.RECRUITMENT_VIEW)
        candidates = self.scoped()
        org = None
        if (raw := self.request.GET.get("org", "")).isdigit():
            org = orgs.filter(pk=int(raw)).first()
            if org is None:
                raise Http404
            candidates = candidates.filter(org__path__startswith=org.path)
        show_done = self.request.GET.get("done") == "1"
        if not show_done:
            candidates = candidates.filter(stage__in=queries.ACTIVE_STAGES)
        today = dt.date.today()
        running = {}
        for d in queries.deadlines(candidates, today):
            running.setdefault(d.candidate.pk, []).append(d)
        rows = []
        for candidate in queries.with_history(candidates).order_by("org__path", "applied_on", "id")[:500]:
            history = queries.history_of(candidate)
            last = history.steps[-1] if history.steps else None
            rows.append({"candidate": candidate, "last": last, "next": queries.next_step(candidate, history),
                         "deadlines": running.get(candidate.pk, [])})
        columns = [(stage, [r for r in rows if r["candidate"].stage == stage]) for stage in Stage.values
                   if show_done or stage in queries.ACTIVE_STAGES]
        branches = orgs.filter(org_type__in=actions.ADMITTING_ORG_TYPES, status="active").order_by("path")[:300]
        return super().get_context_data(
            org=org, columns=[(Stage(s).label, r) for s, r in columns], total=len(rows), branches=branches,
            show_done=show_done, can_apply=user.has_perm_anywhere(roles.RECRUITMENT_MANAGE),
            tops=top_visible(user, roles.RECRUITMENT_VIEW), **kwargs)


class CandidateView(RecruitmentScoped, TemplateView):
    """A person's timeline: every step with its date, organisation, people, opinion and votes; what is due."""

    template_name = "recruitment/candidate.html"

    def get_context_data(self, **kwargs):
        candidate = self.get_scoped_object()
        history = queries.history_of(candidate)
        steps = candidate.steps.select_related("org").prefetch_related("people__member").order_by("on", "id")
        user = self.request.user
        can_manage = self.can(roles.RECRUITMENT_MANAGE, candidate)
        approver = actions.approving_org(candidate)
        can_approve = approver is not None and Organization.objects.restrict(
            user, roles.RECRUITMENT_APPROVE).filter(pk=approver.pk).exists()
        kinds = [(k, label) for k, label in StepKind.choices if k not in OWN_ACTION_STEPS
                 and ((k in COMMITTEE_STEPS and can_approve) or (k not in COMMITTEE_STEPS and can_manage))]
        if candidate.stage in ENDED_STAGES:  # the procedure is over; only the archiving (or 不予承认) is left
            kinds = [(k, label) for k, label in kinds if (k == K.ARCHIVING and not history.has(K.ARCHIVING)) or (
                k == K.NOT_RECOGNISED and candidate.stage == Stage.FULL)]
        elif candidate.member_id is None:
            kinds = [(k, label) for k, label in kinds if k != K.NOT_RECOGNISED]
        else:
            kinds = [(k, label) for k, label in kinds if k != K.CLOSURE]
        reports = list(candidate.thought_reports.defer("content").select_related("reviewed_by"))
        timeline = sorted([(s.on, 0, s.pk, "step", s) for s in steps] +
                          [(r.submitted_on, 1, r.pk, "report", r) for r in reports], key=lambda e: e[:3])
        can_move = can_manage and candidate.stage not in ENDED_STAGES
        return super().get_context_data(
            candidate=candidate, steps=steps, timeline=[(e[3], e[4]) for e in timeline],
            deadlines=queries.candidate_deadlines(candidate, history),
            next=queries.next_step(candidate, history), probation_end=history.probation_end(), kinds=kinds,
            documents=DocumentKind.choices, approver=approver, can_manage=can_manage, can_move=can_move,
            report_form=ThoughtReportForm(initial={"submitted_on": dt.date.today()})
            if can_manage and candidate.stage in actions.THOUGHT_REPORT_STAGES else None,
            review_form=ThoughtReportReviewForm() if can_manage else None, **kwargs)


class ApplyView(RecruitmentScoped, ActionFormView):
    """(1) 递交入党申请书: open a person's file."""

    perm = roles.RECRUITMENT_MANAGE
    template_name = "recruitment/apply.html"
    success_message = "已登记 {obj.name} 的入党申请"

    def get_form(self, target, data=None):
        orgs = Organization.objects.restrict(self.request.user, self.perm).filter(
            org_type__in=actions.ADMITTING_ORG_TYPES, status="active").order_by("path")
        form = ApplicationForm(data, orgs=orgs)
        if data is None and orgs.count() == 1:
            form.initial["org"] = orgs.first()
        return form

    def perform(self, target, form):
        data = {k: v for k, v in form.cleaned_data.items() if k != "org" and v not in ("", None)}
        return actions.do_register_application(data=data, org=form.cleaned_data["org"], actor=self.request.user)

    def get_success_url(self, obj) -> str:
        return reverse("recruitment:candidate", args=[obj.pk])


class TransferredInView(RecruitmentScoped, ActionFormView):
    """A 预备党员 transferred in: their probation continues here and may be postponed (细则 第三十四条)."""

    perm = roles.RECRUITMENT_MANAGE
    template_name = "recruitment/apply.html"
    success_message = "已为 {obj.name} 建立预备期考察记录"

    def get_form(self, target, data=None):
        members = (Member.objects.restrict(self.request.user, self.perm)
                   .filter(category="probationary", status="normal", candidate__isnull=True).select_related("org"))
        return TransferredInForm(data, members=members)

    def render_form(self, target, form):
        return render(self.request, self.template_name, {"form": form, "transferred_in": True})

    def perform(self, target, form):
        return actions.do_open_probation_file(form.cleaned_data["member"], actor=self.request.user)

    def get_success_url(self, obj) -> str:
        return reverse("recruitment:candidate", args=[obj.pk])


class StepView(RecruitmentScoped, View):
    """Record one step; a refusal names the rule and the article beside the field, a warning asks to acknowledge."""

    def _setup(self, pk):
        candidate = self.get_scoped_object(pk=pk)
        kind = self.request.GET.get("kind") or self.request.POST.get("kind") or ""
        if kind not in StepKind.values or kind in OWN_ACTION_STEPS:
            return candidate, None, None, None
        user = self.request.user
        members = Member.objects.restrict(user, roles.MEMBER_VIEW)
        ancestors = [candidate.org.path[:i] for i in range(Organization.steplen, len(candidate.org.path),
                                                           Organization.steplen)]
        perm = roles.RECRUITMENT_MANAGE if kind == K.GENERAL_BRANCH_REVIEW else roles.RECRUITMENT_APPROVE
        orgs = Organization.objects.restrict(user, perm).filter(path__in=ancestors).order_by("-depth")
        return candidate, kind, members, orgs

    def _render(self, candidate, kind, form, warnings=None):
        if not warnings and not form.data.get("acknowledge"):
            form.fields.pop("acknowledge", None)  # asked for only once the rules raise a warning
        return render(self.request, "recruitment/step.html", {
            "candidate": candidate, "kind": kind, "kind_label": StepKind(kind).label, "form": form,
            "warnings": warnings or []})

    def _pick(self, candidate):
        return redirect_or_pick(self.request, candidate)

    def get(self, request, pk):
        candidate, kind, members, orgs = self._setup(pk)
        if kind is None:
            return self._pick(candidate)
        form = StepForm(kind=kind, members=members, orgs=orgs, initial={"on": dt.date.today(), "org": orgs.first()})
        return self._render(candidate, kind, form)

    def post(self, request, pk):
        candidate, kind, members, orgs = self._setup(pk)
        if kind is None:
            return self._pick(candidate)
        form = StepForm(request.POST, kind=kind, members=members, orgs=orgs)
        warnings = []
        if form.is_valid():
            data, people, acknowledged = form.action_data()
            try:
                actions.do_record_step(candidate, kind=kind, data=data, people=people, acknowledged=acknowledged,
                                       actor=request.user)
            except ValidationError as exc:
                if getattr(exc, "error_dict", None) and "acknowledge" in exc.error_dict:
                    warnings = exc.message_dict["acknowledge"]
                else:
                    form_errors_from(form, exc)
            else:
                messages.success(request, f"已登记“{StepKind(kind).label}”")
                return redirect("recruitment:candidate", candidate.pk)
        return self._render(candidate, kind, form, warnings)


class DocumentView(RecruitmentScoped, View):
    """One of the standard documents as .docx, filled from the recorded steps."""

    def get(self, request, pk):
        candidate = self.get_scoped_object(pk=pk)
        kind = request.GET.get("kind", "")
        if kind not in DocumentKind.values:
            return redirect_or_pick(request, candidate)
        try:
            filename, content = paperwork.render(candidate, kind)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
            return redirect("recruitment:candidate", candidate.pk)
        audit.record("recruitment.document", actor=request.user, obj=candidate, detail=filename[:200])
        return docx_response(content, filename, f"recruitment-{candidate.pk}-{kind}.docx")


class TemplatesView(RecruitmentScoped, ActionFormView):
    """An organisation's own .docx templates (placeholders like {{姓名}}); the built-in ones are the default."""

    perm = roles.RECRUITMENT_MANAGE
    template_name = "recruitment/templates.html"
    success_message = "模板已上传，此后生成的文书使用该模板"

    def get_form(self, target, data=None):
        orgs = Organization.objects.restrict(self.request.user, self.perm).filter(status="active").order_by("path")
        return TemplateForm(data, self.request.FILES if data is not None else None, orgs=orgs)

    def render_form(self, target, form):
        return render(self.request, self.template_name, {
            "form": form, "templates": DocumentTemplate.objects.restrict(self.request.user, self.perm)
            .select_related("org")[:100], "placeholders": PLACEHOLDER_NAMES, "kinds": DocumentKind.choices})

    def perform(self, target, form):
        upload = form.cleaned_data["file"]
        return actions.do_upload_template(org=form.cleaned_data["org"], kind=form.cleaned_data["kind"],
                                          filename=upload.name, content=upload.read(), actor=self.request.user)

    def get_success_url(self, obj) -> str:
        return reverse("recruitment:templates")


class BuiltinTemplateView(RecruitmentScoped, View):
    """The built-in template with its placeholders, to start an organisation's own from."""

    def get(self, request):
        kind = request.GET.get("kind", "")
        if kind not in DocumentKind.values:
            raise Http404
        return docx_response(paperwork.builtin_template(kind), f"模板-{DocumentKind(kind).label}.docx",
                             f"template-{kind}.docx")


class HolidaysView(RecruitmentScoped, ActionFormView):
    """Holidays for the years the built-in calendar does not cover (the system administrator; no party data)."""

    scoped_model = Organization
    perm = roles.CALENDAR_MANAGE
    template_name = "recruitment/holidays.html"

    def get_form(self, target, data=None):
        return HolidayForm(data)

    def render_form(self, target, form):
        this_year = dt.date.today().year
        years = [(y, covered_by_builtin(y)) for y in range(this_year - 1, this_year + 3)]
        return render(self.request, self.template_name, {
            "form": form, "holidays": Holiday.objects.filter(day__year__gte=this_year - 1), "years": years})

    def perform(self, target, form):
        return actions.do_set_holiday(actor=self.request.user, **form.cleaned_data)

    def get_success_url(self, obj) -> str:
        return reverse("recruitment:holidays")


class MoveView(RecruitmentScoped, ActionFormView):
    """Move the file to the branch where the person now works or lives; that branch continues the steps."""

    perm = roles.RECRUITMENT_MANAGE
    template_name = "recruitment/move.html"
    context_name = "candidate"
    success_message = "已将 {obj.candidate.name} 的发展党员材料转至 {obj.org.name}"

    def get_form(self, target, data=None):
        orgs = (Organization.objects.restrict(self.request.user, self.perm)
                .filter(org_type__in=actions.ADMITTING_ORG_TYPES, status="active").exclude(pk=target.org_id)
                .order_by("path"))
        return MoveFileForm(data, orgs=orgs, initial={"on": dt.date.today()})

    def perform(self, target, form):
        return actions.do_move_file(target, to_org=form.cleaned_data["org"], on=form.cleaned_data["on"],
                                    reason=form.cleaned_data["reason"], actor=self.request.user)

    def get_success_url(self, obj) -> str:
        return reverse("recruitment:candidate", args=[obj.candidate_id])


class ThoughtReportAddView(RecruitmentScoped, View):
    """Record a thought report handed in (思想汇报); a refusal comes back as a message on the person's page."""

    perm = roles.RECRUITMENT_MANAGE
    http_method_names = ["post"]

    def post(self, request, pk):
        candidate = self.get_scoped_object()
        form = ThoughtReportForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, "；".join(f"{form.fields[f].label}：{e[0]}" if f in form.fields else e[0]
                                             for f, e in form.errors.items()))
            return redirect("recruitment:candidate", candidate.pk)
        try:
            actions.do_record_thought_report(candidate, submitted_on=form.cleaned_data["submitted_on"],
                                             summary=form.cleaned_data["summary"], upload=form.cleaned_data["file"],
                                             actor=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已登记思想汇报")
        return redirect("recruitment:candidate", candidate.pk)


class ThoughtReportScoped(ScopedViewMixin):
    scoped_model = ThoughtReport
    perm = roles.RECRUITMENT_VIEW


class ThoughtReportReviewView(ThoughtReportScoped, View):
    """The branch's comment on a thought report."""

    perm = roles.RECRUITMENT_MANAGE
    http_method_names = ["post"]

    def post(self, request, pk):
        report = self.get_scoped_object()
        try:
            actions.do_review_thought_report(report, comment=request.POST.get("comment", ""), actor=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已填写审阅意见")
        return redirect("recruitment:candidate", report.candidate_id)


class ThoughtReportFileView(ThoughtReportScoped, View):
    """The original of a thought report, as handed in."""

    def get(self, request, pk):
        report = self.get_scoped_object()
        if not report.content:
            raise Http404("该思想汇报没有上传原件")
        from dangjian.exchange.exporting import content_disposition

        response = HttpResponse(bytes(report.content), content_type=report.content_type)
        response["Content-Disposition"] = content_disposition(report.filename, f"thought-report-{report.pk}")
        audit.record("recruitment.thought_report_file", actor=request.user, obj=report.candidate,
                     detail=report.filename[:200])
        return response


class HolidayDeleteView(RecruitmentScoped, View):
    """Remove a day entered by mistake (POST day=YYYY-MM-DD)."""

    scoped_model = Holiday
    perm = roles.CALENDAR_MANAGE
    http_method_names = ["post"]

    def post(self, request):
        try:
            day = dt.date.fromisoformat(request.POST.get("day", ""))
        except ValueError:
            day = None
        try:
            actions.do_delete_holiday(day=day, actor=request.user)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已删除 {day:%Y-%m-%d} 的登记")
        return redirect("recruitment:holidays")


def docx_response(content: bytes, filename: str, ascii_fallback: str) -> HttpResponse:
    from dangjian.exchange.exporting import content_disposition
    from dangjian.members.views import DOCX

    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = content_disposition(filename, ascii_fallback)
    return response


def redirect_or_pick(request, candidate):
    """A step or document page reached without saying which: the choices, on the person's own page."""
    return render(request, "recruitment/pick.html", {"candidate": candidate, "documents": DocumentKind.choices},
                  status=200)


def _placeholder_names() -> list[str]:
    names = set()
    for _title, paragraphs, _needs in paperwork.BUILTIN.values():
        for text in [_title, *paragraphs]:
            names.update(paperwork.PLACEHOLDER.findall(text))
    return sorted(names)


PLACEHOLDER_NAMES = _placeholder_names()
