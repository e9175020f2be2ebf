"""Dues pages: the public calculator, the branch's monthly sheet, a member's standard, my dues."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core import rulebook
from dangjian.core.views import ScopedViewMixin, ScopeExemptMixin, form_errors_from
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

from . import actions, calculator, payments
from .forms import CalculatorForm, PaymentForm, ReliefForm, StandardForm
from .models import DuesBill, DuesPayment, DuesRelief, DuesStandard, PaymentOrder
from .months import add_months, label, month_of, month_range, parse_month
from .queries import arrears_by_member


class CalculatorView(ScopeExemptMixin, TemplateView):
    """党费计算器: open to everyone, members or not."""

    scope_exempt = "a public calculator; reads no records"
    template_name = "dues/calculator.html"

    def get_context_data(self, **kwargs):
        form = CalculatorForm(self.request.GET or None)
        quote = None
        if form.is_valid():
            try:
                quote = calculator.calculate(form.cleaned_data["category"], form.cleaned_data["base"] or None)
            except ValidationError as exc:
                form_errors_from(form, exc)
        return super().get_context_data(form=form, quote=quote, **kwargs)


def _month_param(request, name="month") -> dt.date:
    try:
        return parse_month(request.GET.get(name) or request.POST.get(name) or "")
    except ValueError:
        return month_of(dt.date.today())


class SheetView(ScopedViewMixin, TemplateView):
    """The branch's monthly dues sheet: standards, bills, payments, arrears; record and correct payments."""

    template_name = "dues/sheet.html"
    scoped_model = DuesBill
    perm = roles.DUES_MANAGE

    def orgs(self):
        return Organization.objects.restrict(self.request.user, self.perm).filter(status="active").order_by("path")

    def chosen_org(self):
        orgs = self.orgs()
        wanted = self.request.GET.get("org") or self.request.POST.get("org")
        if wanted:
            org = orgs.filter(pk=wanted if str(wanted).isdigit() else 0).first()
            if org is None:
                raise Http404("党组织不存在或不在您的管理范围内")
            return org
        return orgs.first()

    def get_context_data(self, **kwargs):
        user, month, org = self.request.user, _month_param(self.request), self.chosen_org()
        arrears_filter = self.request.GET.get("arrears", "")
        members = Member.objects.restrict(user, self.perm).filter(status=MemberStatus.NORMAL).select_related("org")
        if not arrears_filter and org is not None:
            members = members.filter(org__path__startswith=org.path)
        bills = DuesBill.objects.restrict(user, self.perm)
        arrears = arrears_by_member(bills.filter(member__in=members))
        if arrears_filter:
            notice = rulebook.value("dues_arrears_notice_months")
            lapse = rulebook.value("dues_arrears_lapse_months")
            low = lapse if arrears_filter == "red" else notice
            members = members.filter(pk__in=[m for m, a in arrears.items() if a.consecutive >= low])
        members = list(members.order_by("org__path", "name")[:500])
        month_bills = {b.member_id: b for b in bills.filter(member__in=members, month=month)}
        paid = {p.bill_id: p for p in DuesPayment.objects.filter(bill__in=month_bills.values(), active=True)}
        standards = actions.standards_in_force(members, month)
        notice, lapse = rulebook.value("dues_arrears_notice_months"), rulebook.value("dues_arrears_lapse_months")
        rows = []
        for member in members:
            bill, behind = month_bills.get(member.pk), arrears.get(member.pk)
            run = behind.consecutive if behind else 0
            rows.append({"member": member, "standard": standards.get(member.pk), "bill": bill,
                         "payment": paid.get(bill.pk) if bill else None, "arrears": behind,
                         "level": "red" if run >= lapse else "yellow" if run >= notice else ""})
        pending = DuesStandard.objects.restrict(user, self.perm).filter(status=DuesStandard.Status.DECLARED)
        reliefs = (DuesRelief.objects.restrict(user, self.perm).filter(state=DuesRelief.State.PROPOSED)
                   .select_related("member__org"))
        if org is not None:
            pending = pending.filter(member__org__path__startswith=org.path)
            reliefs = reliefs.filter(member__org__path__startswith=org.path)
        reliefs = [(r, actions.can_decide_relief(r, user)) for r in reliefs[:100]]
        return super().get_context_data(
            org=org, orgs=self.orgs(), month=month, month_label=label(month), rows=rows,
            previous=add_months(month, -1), next=add_months(month, 1), arrears_filter=arrears_filter,
            pending=pending.select_related("member")[:100], reliefs=reliefs, key=uuid.uuid4().hex,
            methods=DuesPayment.Method.choices, today=dt.date.today(), **kwargs)

    def post(self, request):
        user, org, month = request.user, self.chosen_org(), _month_param(request)
        action = request.POST.get("action")
        try:
            if action == "generate" and org is not None:
                made = actions.do_generate_bills(org, month, actor=user)
                messages.success(request, f"已生成{label(month)}党费账单 {made} 份")
            elif action == "pay":
                form = PaymentForm(request.POST)
                if not form.is_valid():
                    raise ValidationError("请完整填写缴纳信息（月份、方式、日期）")
                member = self._member(form.cleaned_data["member"])
                try:
                    months = month_range(parse_month(form.cleaned_data["first_month"]),
                                         parse_month(form.cleaned_data["last_month"]))
                except ValueError:
                    raise ValidationError("月份格式错误") from None
                payments = actions.do_record_payment(
                    member, months=months, actor=user, idempotency_key=form.cleaned_data["key"],
                    method=form.cleaned_data["method"], paid_by=form.cleaned_data["paid_by"],
                    paid_on=form.cleaned_data["paid_on"])
                messages.success(request, f"已登记{member.name}{len(payments)} 个月的党费")
            elif action == "confirm":
                standard = DuesStandard.objects.restrict(user, self.perm).filter(
                    pk=request.POST.get("standard") or 0).first()
                if standard is None:
                    raise Http404("党费标准不存在或不在您的管理范围内")
                actions.do_confirm_standard(standard, actor=user)
                messages.success(request, f"已确认{standard.member.name}的党费标准")
            elif action in ("approve_relief", "reject_relief"):
                relief = DuesRelief.objects.restrict(user, self.perm).filter(pk=request.POST.get("relief") or 0).first()
                if relief is None:
                    raise Http404("减免申请不存在或不在您的管理范围内")
                actions.do_decide_relief(relief, approve=action == "approve_relief",
                                         note=request.POST.get("note", ""), actor=user)
                messages.success(request, "已审批")
            elif action == "reverse":
                payment = DuesPayment.objects.restrict(user, self.perm).filter(
                    pk=request.POST.get("payment") or 0).first()
                if payment is None:
                    raise Http404("缴纳记录不存在或不在您的管理范围内")
                actions.do_reverse_payment(payment, reason=request.POST.get("reason", ""), actor=user)
                messages.success(request, "已冲正，该月恢复为未缴")
            else:
                raise ValidationError("未知的操作")
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        query = f"?org={org.pk if org else ''}&month={month:%Y-%m}"
        return redirect(reverse("dues:sheet") + query)

    def _member(self, pk) -> Member:
        member = Member.objects.restrict(self.request.user, self.perm).filter(pk=pk).first()
        if member is None:
            raise Http404("党员不存在或不在您的管理范围内")
        return member


class StandardView(ScopedViewMixin, TemplateView):
    """The branch sets (and thereby confirms) a member's dues standard."""

    template_name = "dues/standard.html"
    scoped_model = DuesStandard
    perm = roles.DUES_MANAGE

    def member(self) -> Member:
        pk = self.request.GET.get("member") or self.request.POST.get("member") or ""
        member = Member.objects.restrict(self.request.user, self.perm).filter(pk=pk if pk.isdigit() else 0).first()
        if member is None:
            raise Http404("党员不存在或不在您的管理范围内")
        return member

    def get_context_data(self, form=None, **kwargs):
        member = self.member()
        initial = {"effective_from": f"{dt.date.today():%Y}-01", "category": "employed", "base_kind": "monthly"}
        return super().get_context_data(
            member=member, form=form or StandardForm(initial=initial),
            standards=DuesStandard.objects.filter(member=member).order_by("-effective_from"), **kwargs)

    def post(self, request):
        member, form = self.member(), StandardForm(request.POST)
        if form.is_valid():
            try:
                start = parse_month(form.cleaned_data["effective_from"])
            except ValueError:
                form.add_error("effective_from", "请选择起始月份")
            else:
                try:
                    actions.do_set_standard(member, category=form.cleaned_data["category"],
                                            base=form.cleaned_data["base"] or None,
                                            base_kind=form.cleaned_data["base_kind"], effective_from=start,
                                            actor=request.user)
                except ValidationError as exc:
                    form_errors_from(form, exc)
                else:
                    messages.success(request, f"已核定{member.name}的党费标准")
                    return redirect(reverse("dues:sheet") + f"?org={member.org_id}")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ReliefView(StandardView):
    """The branch, after discussing it, asks the next-higher 党委 to reduce or waive a member's dues."""

    template_name = "dues/relief.html"
    scoped_model = DuesRelief

    def get_context_data(self, form=None, **kwargs):
        member = self.member()
        initial = {"first_month": f"{dt.date.today():%Y-%m}", "last_month": f"{dt.date.today():%Y}-12",
                   "discussed_on": dt.date.today()}
        return TemplateView.get_context_data(
            self, member=member, form=form or ReliefForm(initial=initial),
            reliefs=DuesRelief.objects.filter(member=member)[:20], **kwargs)

    def post(self, request):
        member, form = self.member(), ReliefForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                first, last = parse_month(data["first_month"]), parse_month(data["last_month"])
            except ValueError:
                form.add_error("first_month", "请选择起止月份")
            else:
                try:
                    actions.do_propose_relief(member, kind=data["kind"], monthly_amount=data["monthly_amount"] or None,
                                              first_month=first, last_month=last, reason=data["reason"],
                                              discussed_on=data["discussed_on"], actor=request.user)
                except ValidationError as exc:
                    form_errors_from(form, exc)
                else:
                    messages.success(request, "已报上级党委审批")
                    return redirect(reverse("dues:sheet") + f"?org={member.org_id}")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class MyDuesView(ScopedViewMixin, TemplateView):
    """A member's own dues, on the phone: the standard and how it was computed, bills, payments."""

    template_name = "dues/mine.html"
    scoped_model = DuesBill
    perm = roles.DUES_VIEW

    def get_context_data(self, form=None, **kwargs):
        member = Member.objects.filter(user=self.request.user).first()
        if member is None:
            return super().get_context_data(member=None, **kwargs)
        bills = self.scoped().filter(member=member).order_by("-month")[:24]
        payments = DuesPayment.objects.restrict(self.request.user, self.perm).filter(member=member)[:50]
        paid = {p.bill_id for p in payments if p.active and p.bill_id}
        arrears = arrears_by_member(self.scoped().filter(member=member)).get(member.pk)
        return super().get_context_data(
            member=member, payable=actions.payable_months(member) if member.status == MemberStatus.NORMAL else [],
            standards=DuesStandard.objects.restrict(self.request.user, self.perm).filter(member=member)
            .order_by("-effective_from")[:5],
            bills=[(b, b.pk in paid) for b in bills], payments=payments, arrears=arrears,
            form=form or StandardForm(initial={"effective_from": f"{dt.date.today():%Y}-01", "category": "employed",
                                               "base_kind": "monthly"}), **kwargs)

    def post(self, request):
        member = Member.objects.filter(user=request.user, status=MemberStatus.NORMAL).first()
        if member is None:
            raise Http404("没有关联的党员档案")
        if request.POST.get("action") == "pay_online":
            try:
                months = [parse_month(m) for m in request.POST.getlist("months")]
                order = actions.do_start_online_payment(member, months=months, actor=request.user)
            except ValueError:
                messages.error(request, "月份格式错误")
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                return redirect(payments.provider().checkout_url(order))
            return redirect("dues:mine")
        form = StandardForm(request.POST)
        if form.is_valid():
            try:
                actions.do_set_standard(member, category=form.cleaned_data["category"],
                                        base=form.cleaned_data["base"] or None, base_kind=form.cleaned_data["base_kind"],
                                        effective_from=parse_month(form.cleaned_data["effective_from"]),
                                        actor=request.user)
            except ValueError:
                form.add_error("effective_from", "请选择起始月份")
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, "已申报，待支部确认")
                return redirect("dues:mine")
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ReportView(SheetView):
    """The sheet's reports as .xlsx: ?report=sheet|summary|year&org=…&month=…"""

    REPORTS = {"sheet": "党费收缴登记表", "summary": "党费收缴汇总表", "year": "党费收缴情况公示表"}

    def get(self, request):
        import tempfile

        from django.http import FileResponse

        from dangjian.exchange.exporting import XLSX_CONTENT_TYPE, content_disposition

        from . import reports

        kind, org, month = request.GET.get("report"), self.chosen_org(), _month_param(request)
        if kind not in self.REPORTS or org is None:
            raise Http404("报表不存在")
        out = tempfile.TemporaryFile()
        if kind == "sheet":
            reports.collection_sheet(out, org, month, actor=request.user)
            name = f"{org.short_name or org.name}{label(month)}{self.REPORTS[kind]}.xlsx"
        elif kind == "summary":
            reports.summary(out, org, month, actor=request.user)
            name = f"{org.short_name or org.name}{label(month)}{self.REPORTS[kind]}.xlsx"
        else:
            reports.year_publication(out, org, month.year, actor=request.user)
            name = f"{org.short_name or org.name}{month.year}年{self.REPORTS[kind]}.xlsx"
        out.seek(0)
        response = FileResponse(out, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition(name, f"dues-{kind}.xlsx")
        return response

    def post(self, request):
        raise Http404


class FakeCheckoutView(ScopedViewMixin, TemplateView):
    """The fake payment channel's page (demo and tests): the payer confirms, and the channel calls back."""

    template_name = "dues/fake_checkout.html"
    scoped_model = PaymentOrder
    perm = roles.DUES_VIEW

    def get_context_data(self, **kwargs):
        order = (PaymentOrder.objects.filter(order_id=self.request.GET.get("order", ""),
                                             created_by=self.request.user).select_related("member").first())
        if order is None or settings.PRODUCTION:
            raise Http404("支付订单不存在")
        channel = payments.provider()
        ref = f"FAKE-{order.order_id[:12].upper()}"
        fields = {"order_id": order.order_id, "paid": "1", "external_ref": ref,
                  "signature": channel.sign(order.order_id, True, ref)} if hasattr(channel, "sign") else {}
        return super().get_context_data(order=order, months=[label(dt.date.fromisoformat(m)) for m in order.months],
                                        fields=fields, **kwargs)


@method_decorator(csrf_exempt, name="dispatch")
class PaymentCallbackView(ScopeExemptMixin, View):
    """Where the payment channel confirms an order. Trusted only with a valid signature; safe to repeat."""

    scope_exempt = "the payment channel's signed confirmation; it names one order and changes only that"

    def post(self, request):
        confirmation = payments.provider().verify(request.POST)
        if confirmation is None:
            return HttpResponseBadRequest("签名无效")
        order = actions.do_complete_online_payment(confirmation.order_id, external_ref=confirmation.external_ref,
                                                   paid=confirmation.paid)
        if request.user.is_authenticated and order.created_by_id == request.user.pk:
            if order.state == PaymentOrder.State.PAID:
                messages.success(request, f"支付成功：{order.amount} 元")
            else:
                messages.error(request, f"{order.get_state_display()}：{order.note}")
            return redirect("dues:mine")
        return HttpResponse("success", content_type="text/plain")
