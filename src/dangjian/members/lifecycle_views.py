"""Pages of the member lifecycle: a member's absences, contacts, proposals, sanctions (masked) and mobile record;
the branch's and the 党委's list of proposals; the discipline list; the mobile-members list of both sides."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core.views import ActionFormView, paginate

from . import actions
from .lifecycle_forms import (
    CLOSURE_CHOICES, AbsenceForm, CertificateForm, ContactForm, DeathForm, DisciplineForm, OutflowForm, ProposalForm,
)
from .lifecycle_queries import (
    awaiting_decision, contact_due, due_for_proposal, home_mobile_records, inflow_mobile_records, open_mobile_records,
    review_overdue,
)
from .lifecycle_rules import party_standing_years, sanctions_in_effect
from .models import Absence, DisciplinaryAction, Member, MemberContact, MobileRecord, StatusChangeProposal
from .views import MemberFormView, MemberScoped


def _date(value: str):
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


def _report(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


class MemberLifecycleView(MemberScoped, TemplateView):
    """One member's lifecycle: status history (proposals), absences, contacts, sanctions (masked), mobile records."""

    template_name = "members/lifecycle_member.html"

    def get_context_data(self, **kwargs):
        member = self.get_scoped_object()
        user = self.request.user
        discipline = DisciplinaryAction.objects.restrict(user, roles.DISCIPLINE_VIEW).filter(member=member)
        return super().get_context_data(
            member=member, today=dt.date.today(), party_years=party_standing_years(member),
            can_change=self.can(roles.MEMBER_CHANGE, member),
            can_discipline=self.can(roles.DISCIPLINE_MANAGE, member),
            can_reveal_discipline=self.can(roles.DISCIPLINE_REVEAL, member),
            sees_discipline=self.can(roles.DISCIPLINE_VIEW, member),
            absences=Absence.objects.filter(member=member), contacts=MemberContact.objects.filter(member=member)[:50],
            proposals=StatusChangeProposal.objects.filter(member=member),
            discipline=discipline, in_effect={a.pk for a in sanctions_in_effect(member)},
            mobile_records=MobileRecord.objects.filter(member=member).select_related("inflow_org", "home_org"),
            periods=member.periods.select_related("org").order_by("-id"),
            **kwargs)



class AbsenceEndView(MemberScoped, View):
    """Contact restored or back from abroad: ends one open absence of the member."""

    perm = roles.MEMBER_CHANGE
    http_method_names = ["post"]

    def post(self, request, pk):
        member = self.get_scoped_object()
        absence = Absence.objects.filter(member=member, pk=request.POST.get("absence") or 0).first()
        try:
            if absence is None:
                raise ValidationError("请选择要结束的登记")
            actions.do_end_absence(absence, ended_on=_date(request.POST.get("ended_on")),
                                   note=request.POST.get("note", ""), actor=request.user)
            messages.success(request, f"已登记{absence.get_kind_display()}结束")
        except ValidationError as exc:
            _report(request, exc)
        return redirect("members:lifecycle_member", member.pk)


class LifecycleFormView(MemberFormView):
    perm = roles.MEMBER_CHANGE
    template_name = "members/lifecycle_form.html"
    title = ""

    def render_form(self, target, form):
        return render(self.request, self.template_name, {"form": form, "member": target, "title": self.title})

    def get_success_url(self, obj):
        member = obj if isinstance(obj, Member) else obj.member
        return reverse("members:lifecycle_member", args=[member.pk])


class AbsenceView(LifecycleFormView):
    form_class = AbsenceForm
    title = "登记失联或出国（境）情况"
    success_message = "已登记"

    def perform(self, member, form):
        return actions.do_record_absence(member, actor=self.request.user, **form.cleaned_data)


class ContactView(LifecycleFormView):
    form_class = ContactForm
    title = "登记联系情况"
    success_message = "已登记联系情况"

    def get_form(self, target, data=None):
        return ContactForm(data, initial={"on": dt.date.today()})

    def perform(self, member, form):
        return actions.do_record_contact(member, actor=self.request.user, **form.cleaned_data)


class ProposeView(LifecycleFormView):
    form_class = ProposalForm
    title = "提出党籍处置（停止党籍、除名、恢复党籍）"
    success_message = "已提出，待上级党委审批"

    def get_form(self, target, data=None):
        return ProposalForm(data, initial={"kind": self.request.GET.get("kind"), "ground": self.request.GET.get("ground")})

    def perform(self, member, form):
        return actions.do_propose_status_change(member, actor=self.request.user, **form.cleaned_data)


class DeathView(LifecycleFormView):
    form_class = DeathForm
    title = "登记党员死亡"
    success_message = "已登记。党员档案保留，党龄计算至死亡日期"

    def perform(self, member, form):
        return actions.do_record_member_death(member, actor=self.request.user, **form.cleaned_data)


class DisciplineCreateView(LifecycleFormView):
    perm = roles.DISCIPLINE_MANAGE
    form_class = DisciplineForm
    title = "登记党纪处分"
    success_message = "已登记党纪处分"

    def perform(self, member, form):
        return actions.do_record_disciplinary_action(member, data=form.cleaned_data, actor=self.request.user)


class OutflowView(LifecycleFormView):
    form_class = OutflowForm
    title = "流动党员外出登记"
    success_message = "已登记为流动党员"

    def get_form(self, target, data=None):
        return OutflowForm(data, initial={"out_since": dt.date.today()})

    def perform(self, member, form):
        return actions.do_register_mobile_outflow(member, data=form.cleaned_data, actor=self.request.user)


class LifecycleListView(MemberScoped, TemplateView):
    """For the branch: members due for a proposal and its proposals under way; for the 党委: proposals to decide."""

    template_name = "members/lifecycle.html"
    scoped_model = StatusChangeProposal
    perm = roles.MEMBER_CHANGE

    def get_context_data(self, **kwargs):
        user = self.request.user
        proposals = self.scoped().select_related("member", "member__org")
        if self.request.GET.get("all") != "1":
            proposals = proposals.filter(state__in=StatusChangeProposal.OPEN)
        waiting = awaiting_decision(user)
        return super().get_context_data(
            due=due_for_proposal(user), waiting=waiting, waiting_ids={p.pk for p in waiting},
            proposals=proposals[:200], show_all=self.request.GET.get("all") == "1", **kwargs)

    def post(self, request):
        proposal = self.scoped(roles.MEMBER_VIEW).filter(pk=request.POST.get("proposal") or 0).first()
        if proposal is None:
            raise Http404("党籍处置事项不存在或不由您办理")
        verb, reason = request.POST.get("action"), request.POST.get("reason", "")
        steps = {
            "approve": lambda: actions.do_approve_status_change(proposal, actor=request.user),
            "send_back": lambda: actions.do_send_back_status_change(proposal, reason=reason, actor=request.user),
            "resubmit": lambda: actions.do_resubmit_status_change(proposal, reason=reason, actor=request.user),
            "withdraw": lambda: actions.do_withdraw_status_change(proposal, reason=reason, actor=request.user),
        }
        if verb not in steps:
            messages.error(request, "未知的操作")
        else:
            try:
                done = steps[verb]()
            except ValidationError as exc:
                _report(request, exc)
            else:
                messages.success(request, f"{done.member.name}：{done.get_kind_display()}，{done.get_state_display()}")
        return redirect("members:lifecycle")


class DisciplineListView(MemberScoped, TemplateView):
    """Sanctions in the user's scope; the reason is never shown here, only on an audited reveal."""

    template_name = "members/discipline_list.html"
    scoped_model = DisciplinaryAction
    perm = roles.DISCIPLINE_VIEW

    def get_context_data(self, **kwargs):
        rows = self.scoped().select_related("member", "member__org")
        kind = self.request.GET.get("kind", "")
        if kind in DisciplinaryAction.Kind.values:
            rows = rows.filter(kind=kind)
        page = paginate(self.request, rows)
        today = dt.date.today()
        return super().get_context_data(page=page, kinds=DisciplinaryAction.Kind.choices, kind=kind, today=today,
                                        can_reveal=self.request.user.has_perm_anywhere(roles.DISCIPLINE_REVEAL),
                                        **kwargs)


class DisciplineRevealView(MemberScoped, View):
    scoped_model = DisciplinaryAction
    perm = roles.DISCIPLINE_REVEAL
    http_method_names = ["post"]

    def post(self, request, pk):
        action = self.get_scoped_object()
        values = actions.do_reveal_disciplinary_action(action, actor=request.user, reason=request.POST.get("reason", ""))
        return render(request, "members/_discipline_revealed.html", {"values": values})


class MobileListView(MemberScoped, TemplateView):
    """流动党员: members who went out from the user's organisations, and those registered into them."""

    template_name = "members/mobile_list.html"
    scoped_model = MobileRecord
    perm = roles.MEMBER_CHANGE

    def get_context_data(self, **kwargs):
        user, today = self.request.user, dt.date.today()
        side = "in" if self.request.GET.get("side") == "in" else "out"
        base = inflow_mobile_records(user, self.perm) if side == "in" else home_mobile_records(user, self.perm)
        records = base.select_related("member", "home_org", "inflow_org")
        if self.request.GET.get("all") != "1":
            records = open_mobile_records(records)
        records = list(records[:300])
        overdue = {r.pk for r in review_overdue([r for r in records if r.state != MobileRecord.State.CLOSED], today)}
        silent = {r.pk: since for r, since in contact_due([r for r in records if r.state != MobileRecord.State.CLOSED],
                                                          today)} if side == "out" else {}
        for record in records:
            record.review_is_overdue, record.silent_since = record.pk in overdue, silent.get(record.pk)
        return super().get_context_data(records=records, side=side, today=today,
                                        closures=CLOSURE_CHOICES, show_all=self.request.GET.get("all") == "1",
                                        **kwargs)

    def post(self, request):
        record = self.scoped().filter(pk=request.POST.get("record") or 0).first()
        if record is None:
            raise Http404("流动党员登记不存在或不由您办理")
        verb, note, on = request.POST.get("action"), request.POST.get("note", ""), _date(request.POST.get("on"))
        steps = {
            "inflow": lambda: actions.do_register_mobile_inflow(record, on=on, note=note, actor=request.user),
            "review": lambda: actions.do_review_mobile_certificate(record, on=on, note=note, actor=request.user),
            "close": lambda: actions.do_close_mobile_record(record, closure=request.POST.get("closure", ""), on=on,
                                                            note=note, actor=request.user),
        }
        if verb not in steps:
            messages.error(request, "未知的操作")
        else:
            try:
                done = steps[verb]()
            except ValidationError as exc:
                _report(request, exc)
            else:
                messages.success(request, f"{done.member.name}：{done.get_state_display()}")
        side = "in" if request.POST.get("side") == "in" else "out"
        return redirect(reverse("members:mobile") + ("?side=in" if side == "in" else ""))


class CertificateView(MemberScoped, ActionFormView):
    """Issue (or re-issue) the 流动党员活动证 of an open mobile record: the home organisation's step."""

    scoped_model = MobileRecord
    perm = roles.MEMBER_CHANGE
    form_class = CertificateForm
    template_name = "members/lifecycle_form.html"
    success_message = "已登记流动党员活动证"

    def render_form(self, target, form):
        return render(self.request, self.template_name,
                      {"form": form, "member": target.member, "title": "登记流动党员活动证"})

    def perform(self, record, form):
        return actions.do_issue_mobile_certificate(record, data=form.cleaned_data, actor=self.request.user)

    def get_success_url(self, obj):
        return reverse("members:mobile")
