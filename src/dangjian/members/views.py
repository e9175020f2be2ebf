from django.shortcuts import render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core.views import ActionFormView, ScopedViewMixin, paginate
from dangjian.orgs.models import Organization

from . import actions
from .filtersets import MemberFilterSet
from .forms import MemberForm, StatusForm
from .models import Member

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
        query = params.copy()
        query.pop("page", None)
        return super().get_context_data(filter=filterset, page=page, query=query.urlencode(),
                                         can_add=self.request.user.has_perm_anywhere(roles.MEMBER_ADD), **kwargs)


class DetailView(MemberScoped, TemplateView):
    template_name = "members/detail.html"

    def get_context_data(self, **kwargs):
        member = self.get_scoped_object()
        return super().get_context_data(
            member=member, can_change=self.can(roles.MEMBER_CHANGE, member),
            can_reveal=self.can(roles.MEMBER_REVEAL, member), **kwargs)


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


class RevealView(MemberScoped, View):
    perm = roles.MEMBER_REVEAL
    http_method_names = ["post"]

    def post(self, request, pk):
        member = self.get_scoped_object()
        values = actions.do_reveal_member(member, actor=request.user, reason=request.POST.get("reason", ""))
        return render(request, "members/_revealed.html", {"values": values, "member": member})
