import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core.views import ActionFormView, ScopedViewMixin, paginate
from dangjian.orgs.models import Organization

from . import actions
from .filtersets import MemberFilterSet
from .forms import IncomingLetterForm, LetterForm, MemberForm, StatusForm, TransferForm
from .models import IncomingLetter, Member, Transfer, TransferLetter

FORM_FIELDS = [f for f in MemberForm.Meta.fields if f != "org"]


class MemberScoped(ScopedViewMixin):
    scoped_model = Member
    perm = roles.MEMBER_VIEW

    def editable_orgs(self, perm):
        return (Organization.objects.restrict(self.request.user, perm)
                .filter(status="active").exclude(org_type="group").order_by("path"))


class ListView(MemberScoped, TemplateView):
    template_name = "members/list.html"

    def get_context_data(self, **kwargs):
        params = self.request.GET.copy()
        if "status" not in params:
            params["status"] = "normal"
        filterset = MemberFilterSet(params, queryset=self.scoped().select_related("org").order_by("id"),
                                    request=self.request)
        page = paginate(self.request, filterset.qs)
        from dangjian.alerts.queries import member_levels  # alerts reads members: import late

        levels = member_levels([m.pk for m in page], self.request.user)
        for m in page:
            m.light = levels.get(m.pk)
        query = params.copy()
        query.pop("page", None)
        return super().get_context_data(filter=filterset, page=page, query=query.urlencode(),
                                         can_add=self.request.user.has_perm_anywhere(roles.MEMBER_ADD), **kwargs)


class DetailView(MemberScoped, TemplateView):
    template_name = "members/detail.html"

    def get_context_data(self, **kwargs):
        from dangjian.alerts.queries import member_findings  # alerts reads members: import late

        member = self.get_scoped_object()
        return super().get_context_data(
            member=member, can_change=self.can(roles.MEMBER_CHANGE, member),
            can_reveal=self.can(roles.MEMBER_REVEAL, member), findings=member_findings(member, self.request.user),
            **kwargs)


class MyRecordView(MemberScoped, TemplateView):
    template_name = "members/detail.html"

    def get_context_data(self, **kwargs):
        member = self.scoped().filter(user=self.request.user).select_related("org").first()
        return super().get_context_data(
            member=member, mine=True, can_change=False,
            can_reveal=member is not None and self.can(roles.MEMBER_REVEAL, member), **kwargs)


class MemberFormView(MemberScoped, ActionFormView):
    context_name = "member"

    def get_success_url(self, obj):
        return reverse("members:detail", args=[obj.pk])


class CreateView(MemberFormView):
    perm = roles.MEMBER_ADD
    template_name = "members/form.html"
    success_message = "已新增党员：{obj.name}"

    def get_form(self, target, data=None):
        orgs = self.editable_orgs(self.perm)
        initial = {"org": self.request.GET.get("org")} if self.request.GET.get("org") else {}
        return MemberForm(data, orgs=orgs, initial=initial)

    def perform(self, target, form):
        data = {k: form.cleaned_data.get(k) for k in FORM_FIELDS if k != "version"}
        return actions.do_create_member(data=data, org=form.cleaned_data["org"], actor=self.request.user)


class EditView(MemberFormView):
    perm = roles.MEMBER_CHANGE
    template_name = "members/form.html"

    def get_form(self, member, data=None):
        return MemberForm(data, instance=Member.objects.get(pk=member.pk), orgs=self.editable_orgs(self.perm))

    def perform(self, member, form):
        data = form.changed_sensitive_data({k: form.cleaned_data.get(k) for k in FORM_FIELDS if k != "version"})
        return actions.do_update_member(member, data=data, org=form.cleaned_data["org"], actor=self.request.user,
                                        expected_version=form.cleaned_data.get("version"))


class StatusView(MemberFormView):
    perm = roles.MEMBER_CHANGE
    template_name = "members/status.html"
    form_class = StatusForm
    success_message = "党籍状态已变更"

    def perform(self, member, form):
        return actions.do_change_member_status(
            member, status=form.cleaned_data["status"], on=form.cleaned_data["status_changed_on"],
            reason=form.cleaned_data["status_reason"], actor=self.request.user)


class TransferApplyView(MemberFormView):
    perm = roles.MEMBER_CHANGE
    template_name = "members/transfer_apply.html"
    form_class = TransferForm
    success_message = "已申请组织关系转接，待转出党委审批"

    def perform(self, member, form):
        transfer = actions.do_apply_transfer(member, to_org=form.cleaned_data["to_org"],
                                             reason=form.cleaned_data["reason"], actor=self.request.user)
        return transfer.member


class LetterIssueView(MemberFormView):
    perm = roles.MEMBER_CHANGE
    template_name = "members/transfer_apply.html"
    form_class = LetterForm
    success_message = "已开具介绍信，可在“组织关系转接”中打印"

    def get_form(self, target, data=None):
        return LetterForm(data, initial={"issued_on": dt.date.today()})

    def render_form(self, target, form):
        return render(self.request, self.template_name, {"form": form, "member": target, "letter": True})

    def perform(self, member, form):
        return actions.do_issue_transfer_letter(member, actor=self.request.user, **form.cleaned_data).member

    def get_success_url(self, obj):
        return reverse("members:transfers")


class LetterDownloadView(MemberScoped, View):
    scoped_model = TransferLetter
    perm = roles.MEMBER_CHANGE

    def get(self, request):
        from dangjian.exchange.exporting import content_disposition

        from . import letters

        letter = self.scoped().select_related("member", "from_org").filter(pk=request.GET.get("letter") or 0).first()
        if letter is None:
            raise Http404("介绍信不存在或不在您的管理范围内")
        response = HttpResponse(letters.render(letter), content_type=DOCX)
        response["Content-Disposition"] = content_disposition(f"组织关系介绍信-{letter.number}.docx",
                                                              f"letter-{letter.number}.docx")
        return response


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class IncomingLetterView(MemberFormView):
    """登记转入介绍信 (from an organisation outside the system)."""

    perm = roles.MEMBER_ADD
    template_name = "members/incoming_letter.html"
    success_message = "已登记转入介绍信，{obj.name}已编入本组织"

    def get_form(self, target, data=None):
        return IncomingLetterForm(data, orgs=self.editable_orgs(self.perm),
                                  initial={"received_on": dt.date.today()})

    def render_form(self, target, form):
        letters = IncomingLetter.objects.restrict(self.request.user, roles.MEMBER_VIEW).select_related(
            "member", "to_org")[:50]
        return render(self.request, self.template_name, {"form": form, "letters": letters})

    def perform(self, target, form):
        registered = actions.do_register_incoming_letter(org=form.cleaned_data["org"], letter=form.letter(),
                                                         member_data=form.member_data(), actor=self.request.user)
        return registered.member


class TransferListView(MemberScoped, TemplateView):
    """Transfers out of and into the user's organisations, with what each side may do now."""

    template_name = "members/transfers.html"
    scoped_model = Transfer
    perm = roles.MEMBER_CHANGE

    def get_context_data(self, **kwargs):
        user = self.request.user
        transfers = self.scoped().select_related("member", "from_org", "to_org")
        if self.request.GET.get("all") != "1":
            transfers = transfers.filter(state__in=Transfer.OPEN)
        letters = TransferLetter.objects.restrict(user, self.perm).select_related("member", "from_org")
        if self.request.GET.get("all") != "1":
            letters = letters.filter(state=TransferLetter.State.ISSUED)
        return super().get_context_data(transfers=transfers[:200], letters=letters[:200],
                                         show_all=self.request.GET.get("all") == "1", today=dt.date.today(), **kwargs)

    def post(self, request):
        if request.POST.get("letter"):
            return self.letter_step(request)
        transfer = self.scoped().filter(pk=request.POST.get("transfer") or 0).first()
        if transfer is None:
            raise Http404("转接记录不存在或不由您办理")
        verb, reason = request.POST.get("action"), request.POST.get("reason", "")
        steps = {
            "approve": lambda: actions.do_approve_transfer(transfer, actor=request.user),
            "agree": lambda: actions.do_agree_transfer(transfer, actor=request.user),
            "receive": lambda: actions.do_receive_transfer(transfer, actor=request.user),
            "send_back": lambda: actions.do_send_back_transfer(transfer, reason=reason, actor=request.user),
            "withdraw": lambda: actions.do_withdraw_transfer(transfer, reason=reason, actor=request.user),
            "resubmit": lambda: actions.do_resubmit_transfer(transfer, actor=request.user),
        }
        if verb not in steps:
            messages.error(request, "未知的操作")
        else:
            try:
                done = steps[verb]()
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(request, f"{done.member.name}：{done.get_state_display()}")
        return redirect("members:transfers")


    def letter_step(self, request):
        letter = TransferLetter.objects.restrict(request.user, self.perm).filter(pk=request.POST["letter"]).first()
        if letter is None:
            raise Http404("介绍信不存在或不在您的管理范围内")
        try:
            if request.POST.get("action") == "receipt":
                try:
                    on = dt.date.fromisoformat(request.POST.get("receipt_on", ""))
                except ValueError:
                    raise ValidationError("请填写回执日期") from None
                actions.do_record_letter_receipt(letter, receipt_org_name=request.POST.get("receipt_org_name", ""),
                                                 receipt_on=on, actor=request.user)
                messages.success(request, f"已登记回执，{letter.member.name}的组织关系已转出")
            elif request.POST.get("action") == "cancel":
                actions.do_cancel_transfer_letter(letter, reason=request.POST.get("reason", ""), actor=request.user)
                messages.success(request, "介绍信已作废")
            else:
                raise ValidationError("未知的操作")
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("members:transfers")


class RevealView(MemberScoped, View):
    perm = roles.MEMBER_REVEAL
    http_method_names = ["post"]

    def post(self, request, pk):
        member = self.get_scoped_object()
        values = actions.do_reveal_member(member, actor=request.user, reason=request.POST.get("reason", ""))
        return render(request, "members/_revealed.html", {"values": values, "member": member})
