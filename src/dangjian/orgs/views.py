from django.db.models import Count, Q
from django.shortcuts import render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core.views import ActionFormView, ScopedViewMixin, paginate
from dangjian.members.choices import Category, MemberStatus
from dangjian.members.models import Member

from . import actions
from .forms import AsOfForm, DissolveForm, MergeForm, MoveForm, OrganizationForm
from .models import Organization
from .queries import children_with_counts, subtree_member_count, top_visible


class OrgScoped(ScopedViewMixin):
    scoped_model = Organization
    perm = roles.ORG_VIEW


def with_lights(nodes, user) -> None:
    """The light map: each node shows the warning light of its subtree (for roles that see warnings)."""
    from dangjian.alerts.queries import subtree_lights  # alerts reads orgs: import late

    subtree_lights(nodes, user)


class TreeView(OrgScoped, TemplateView):
    """The tree browser: roots first; each level is fetched on demand (ChildrenView)."""

    template_name = "orgs/tree.html"

    def get_context_data(self, **kwargs):
        roots = top_visible(self.request.user, self.perm)
        for root in roots:
            root.member_count = subtree_member_count(root)
        with_lights(roots, self.request.user)
        return super().get_context_data(roots=roots, **kwargs)


class ChildrenView(OrgScoped, View):
    def get(self, request, pk):
        parent = self.get_scoped_object()
        children = children_with_counts(parent, self.scoped())
        with_lights(children, request.user)
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


class OrgFormView(OrgScoped, ActionFormView):
    def get_success_url(self, obj):
        return reverse("orgs:detail", args=[obj.pk])


class CreateView(OrgFormView):
    perm = roles.ORG_ADD
    template_name = "orgs/form.html"
    form_class = OrganizationForm
    context_name = "parent"
    success_message = "已新增党组织：{obj.name}"

    def perform(self, parent, form):
        return actions.do_create_organization(parent=parent, data=form.cleaned_data, actor=self.request.user)


class EditView(OrgFormView):
    perm = roles.ORG_CHANGE
    template_name = "orgs/form.html"
    form_class = OrganizationForm

    def get_form(self, org, data=None):
        return OrganizationForm(data, instance=Organization.objects.get(pk=org.pk))

    def perform(self, org, form):
        data = {k: v for k, v in form.cleaned_data.items() if k not in ("version", "effective_on")}
        return actions.do_update_organization(org, data=data, actor=self.request.user,
                                              expected_version=form.cleaned_data.get("version"),
                                              effective_on=form.cleaned_data.get("effective_on"))


class MoveView(OrgFormView):
    perm = roles.ORG_MOVE
    template_name = "orgs/move.html"
    success_message = "隶属关系已调整"

    def get_form(self, org, data=None):
        parents = self.scoped().exclude(path__startswith=org.path).exclude(org_type="group").filter(status="active")
        return MoveForm(data, parents=parents)

    def perform(self, org, form):
        return actions.do_move_organization(org, new_parent=form.cleaned_data["parent"], actor=self.request.user,
                                            on=form.cleaned_data.get("effective_on"))


class DissolveView(OrgFormView):
    perm = roles.ORG_DISSOLVE
    template_name = "orgs/dissolve.html"
    form_class = DissolveForm
    success_message = "党组织已撤销"

    def perform(self, org, form):
        return actions.do_dissolve_organization(org, on=form.cleaned_data["dissolved_on"],
                                                reason=form.cleaned_data["dissolved_reason"], actor=self.request.user)


class MergeView(OrgFormView):
    """合并: the organisation's members and lower organisations go to another, and it is dissolved."""

    perm = roles.ORG_DISSOLVE
    template_name = "orgs/merge.html"
    success_message = "已完成合并"

    def get_form(self, org, data=None):
        targets = (self.scoped(roles.ORG_MOVE).exclude(path__startswith=org.path).filter(status="active")
                   .exclude(org_type="group"))
        return MergeForm(data, targets=targets)

    def perform(self, org, form):
        data = form.cleaned_data
        return actions.do_merge_organizations(org, into=data["into"], on=data["effective_on"], reason=data["reason"],
                                              actor=self.request.user)


class AsOfView(OrgScoped, TemplateView):
    """历史查询: the organisation and its subtree as they stood on a past day, with the member counts of that day."""

    template_name = "orgs/as_of.html"

    def get_context_data(self, **kwargs):
        from .queries import as_of

        org = self.get_scoped_object()
        form = AsOfForm(self.request.GET or None)
        result = as_of(org, form.cleaned_data["date"]) if form.is_valid() else None
        return super().get_context_data(org=org, form=form, result=result, **kwargs)
