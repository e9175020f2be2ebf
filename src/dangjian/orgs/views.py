from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.views import View
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core.views import ScopedViewMixin, form_errors_from, paginate
from dangjian.members.choices import Category, MemberStatus
from dangjian.members.models import Member

from . import actions
from .forms import DissolveForm, MoveForm, OrganizationForm
from .models import Organization
from .queries import children_with_counts, subtree_member_count, top_visible


class OrgScoped(ScopedViewMixin):
    scoped_model = Organization
    perm = roles.ORG_VIEW

    def can(self, perm, org) -> bool:
        return self.scoped(perm).filter(pk=org.pk).exists()


class TreeView(OrgScoped, TemplateView):
    """The tree browser: roots first; each level is fetched on demand (ChildrenView)."""

    template_name = "orgs/tree.html"

    def get_context_data(self, **kwargs):
        roots = top_visible(self.request.user, self.perm)
        for root in roots:
            root.member_count = subtree_member_count(root)
        return super().get_context_data(roots=roots, **kwargs)


class ChildrenView(OrgScoped, View):
    def get(self, request, pk):
        parent = self.get_scoped_object()
        children = children_with_counts(parent, self.scoped())
        return render(request, "orgs/_children.html", {"children": children, "parent": parent})


class DetailView(OrgScoped, TemplateView):
    template_name = "orgs/detail.html"

    def get_context_data(self, **kwargs):
        org = self.get_scoped_object()
        members = (Member.objects.restrict(self.request.user, roles.MEMBER_VIEW)
                   .filter(org=org, status=MemberStatus.NORMAL).order_by("id"))
        counts = members.aggregate(
            total=Count("id"), full=Count("id", filter=Q(category=Category.FULL)),
            probationary=Count("id", filter=Q(category=Category.PROBATIONARY)),
        )
        ancestors = list(self.scoped().filter(
            path__in=[org.path[:i] for i in range(Organization.steplen, len(org.path), Organization.steplen)]
        ).order_by("depth"))
        return super().get_context_data(
            org=org, page=paginate(self.request, members), counts=counts, ancestors=ancestors,
            subtree_count=subtree_member_count(org),
            children=children_with_counts(org, self.scoped()),
            can_add=self.can(roles.ORG_ADD, org), can_change=self.can(roles.ORG_CHANGE, org),
            can_move=self.can(roles.ORG_MOVE, org), can_dissolve=self.can(roles.ORG_DISSOLVE, org) and org.is_active,
            can_add_member=self.can(roles.MEMBER_ADD, org) and org.is_active and org.org_type != "group",
            **kwargs,
        )


class CreateView(OrgScoped, View):
    perm = roles.ORG_ADD
    template = "orgs/form.html"

    def get(self, request, pk):
        parent = self.get_scoped_object()
        return render(request, self.template, {"form": OrganizationForm(), "parent": parent})

    def post(self, request, pk):
        parent = self.get_scoped_object()
        form = OrganizationForm(request.POST)
        if form.is_valid():
            try:
                org = actions.do_create_organization(parent=parent, data=form.cleaned_data, actor=request.user)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, f"已新增党组织：{org.name}")
                return redirect("orgs:detail", pk=org.pk)
        return render(request, self.template, {"form": form, "parent": parent})


class EditView(OrgScoped, View):
    perm = roles.ORG_CHANGE
    template = "orgs/form.html"

    def get(self, request, pk):
        org = self.get_scoped_object()
        return render(request, self.template, {"form": OrganizationForm(instance=org), "org": org})

    def post(self, request, pk):
        org = self.get_scoped_object()
        form = OrganizationForm(request.POST, instance=Organization.objects.get(pk=org.pk))
        if form.is_valid():
            data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
            try:
                org = actions.do_update_organization(org, data=data, actor=request.user,
                                                     expected_version=form.cleaned_data.get("version"))
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, "已保存")
                return redirect("orgs:detail", pk=org.pk)
        return render(request, self.template, {"form": form, "org": org})


class MoveView(OrgScoped, View):
    perm = roles.ORG_MOVE
    template = "orgs/move.html"

    def form(self, org, data=None):
        parents = self.scoped().exclude(path__startswith=org.path).exclude(org_type="group").filter(status="active")
        return MoveForm(data, parents=parents)

    def get(self, request, pk):
        org = self.get_scoped_object()
        return render(request, self.template, {"form": self.form(org), "org": org})

    def post(self, request, pk):
        org = self.get_scoped_object()
        form = self.form(org, request.POST)
        if form.is_valid():
            try:
                org = actions.do_move_organization(org, new_parent=form.cleaned_data["parent"], actor=request.user)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, "隶属关系已调整")
                return redirect("orgs:detail", pk=org.pk)
        return render(request, self.template, {"form": form, "org": org})


class DissolveView(OrgScoped, View):
    perm = roles.ORG_DISSOLVE
    template = "orgs/dissolve.html"

    def get(self, request, pk):
        return render(request, self.template, {"form": DissolveForm(), "org": self.get_scoped_object()})

    def post(self, request, pk):
        org = self.get_scoped_object()
        form = DissolveForm(request.POST)
        if form.is_valid():
            try:
                actions.do_dissolve_organization(org, on=form.cleaned_data["dissolved_on"],
                                                 reason=form.cleaned_data["dissolved_reason"], actor=request.user)
            except ValidationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(request, "党组织已撤销")
                return redirect("orgs:detail", pk=org.pk)
        return render(request, self.template, {"form": form, "org": org})
