from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core.views import ScopedViewMixin, form_errors_from, paginate
from dangjian.orgs.models import Organization

from . import actions
from .filtersets import MemberFilterSet
from .forms import MemberForm, StatusForm
from .models import Member

FORM_FIELDS = [f for f in MemberForm.Meta.fields if f != "org"]


class MemberScoped(ScopedViewMixin):
    scoped_model = Member
    perm = roles.MEMBER_VIEW

    def can(self, perm, member) -> bool:
        return self.scoped(perm).filter(pk=member.pk).exists()

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


class CreateView(MemberScoped, View):
    perm = roles.MEMBER_ADD
    template = "members/form.html"

    def get(self, request):
        orgs = self.editable_orgs(self.perm)
        if not orgs.exists():
            raise Http404
        initial = {"org": request.GET.get("org")} if request.GET.get("org") else {}
        return render(request, self.template, {"form": MemberForm(orgs=orgs, initial=initial)})

    def post(self, request):
        orgs = self.editable_orgs(self.perm)
        form = MemberForm(request.POST, orgs=orgs)
        if form.is_valid():
            data = {k: form.cleaned_data.get(k) for k in FORM_FIELDS if k != "version"}
            try:
                member = actions.do_create_member(data=data, org=form.cleaned_data["org"], actor=request.user)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, f"已新增党员：{member.name}")
                return redirect("members:detail", pk=member.pk)
        return render(request, self.template, {"form": form}, status=200)


class EditView(MemberScoped, View):
    perm = roles.MEMBER_CHANGE
    template = "members/form.html"

    def get(self, request, pk):
        member = self.get_scoped_object()
        form = MemberForm(instance=member, orgs=self.editable_orgs(self.perm))
        return render(request, self.template, {"form": form, "member": member})

    def post(self, request, pk):
        member = self.get_scoped_object()
        form = MemberForm(request.POST, instance=Member.objects.get(pk=member.pk), orgs=self.editable_orgs(self.perm))
        if form.is_valid():
            data = {k: form.cleaned_data.get(k) for k in FORM_FIELDS if k != "version"}
            try:
                member = actions.do_update_member(member, data=data, org=form.cleaned_data["org"], actor=request.user,
                                                  expected_version=form.cleaned_data.get("version"))
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, "已保存")
                return redirect("members:detail", pk=member.pk)
        return render(request, self.template, {"form": form, "member": member})


class StatusView(MemberScoped, View):
    perm = roles.MEMBER_CHANGE
    template = "members/status.html"

    def get(self, request, pk):
        return render(request, self.template, {"form": StatusForm(), "member": self.get_scoped_object()})

    def post(self, request, pk):
        member = self.get_scoped_object()
        form = StatusForm(request.POST)
        if form.is_valid():
            try:
                actions.do_change_member_status(
                    member, status=form.cleaned_data["status"], on=form.cleaned_data["status_changed_on"],
                    reason=form.cleaned_data["status_reason"], actor=request.user)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, "党籍状态已变更")
                return redirect("members:detail", pk=member.pk)
        return render(request, self.template, {"form": form, "member": member})


class RevealView(MemberScoped, View):
    perm = roles.MEMBER_REVEAL
    http_method_names = ["post"]

    def post(self, request, pk):
        member = self.get_scoped_object()
        values = actions.do_reveal_member(member, actor=request.user, reason=request.POST.get("reason", ""))
        return render(request, "members/_revealed.html", {"values": values, "member": member})
