"""Pages for committees and terms (换届), elections, and organisation setup checks (组织设置).

Every page reads through `.restrict(user, perm)` (404 outside the scope) and writes through `orgs.committees` or
`orgs.setup_records`; the actions' Chinese reasons are shown beside the fields they name.
"""

from __future__ import annotations

import datetime as dt

from django.shortcuts import render
from django.urls import reverse
from django.views.generic import TemplateView

from dangjian.accounts import roles
from dangjian.core.views import ActionFormView, ScopedViewMixin
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member

from . import committees, setup_records
from . import governance_forms as gf
from .choices import OrgType
from .governance_queries import committee_history, reminder_stage, terms_needing_election
from .models import CommitteeMember, Election, GroupMembership, JointBranchUnit, Organization, Term
from .setup_checks import RULE_LABELS, setup_findings


class GovernanceScoped(ScopedViewMixin):
    scoped_model = Organization
    perm = roles.COMMITTEE_VIEW


def _ancestors(org, visible):
    paths = [org.path[:i] for i in range(Organization.steplen, len(org.path), Organization.steplen)]
    return list(visible.filter(path__in=paths).order_by("depth"))


class CommitteeView(GovernanceScoped, TemplateView):
    """An organisation's committee: the current term, its holders and their history, elections, and for a 党小组
    its members, for a 联合党支部 the units it covers."""

    template_name = "orgs/committee.html"

    def get_context_data(self, **kwargs):
        org = self.get_scoped_object()
        term = committees.current_term(org)
        history = list(committee_history(org))
        extra = {}
        if org.org_type == OrgType.GROUP:
            extra["placements"] = GroupMembership.objects.filter(group=org).select_related("member").order_by(
                "ended_on", "-is_leader", "id")
        if org.org_type == OrgType.JOINT_BRANCH:
            extra["units"] = JointBranchUnit.objects.filter(org=org)
        today = dt.date.today()
        if term:
            term.stage = reminder_stage(term, today)
        return super().get_context_data(
            org=org, term=term, today=today, ancestors=_ancestors(org, Organization.objects.restrict(
                self.request.user, roles.ORG_VIEW)),
            current=[h for h in history if h.ended_on is None], past=[h for h in history if h.ended_on],
            terms=Term.objects.filter(org=org).order_by("-number"),
            elections=Election.objects.filter(org=org).order_by("-held_on", "-id"),
            can_manage=self.can(roles.COMMITTEE_MANAGE, org), is_group=org.org_type == OrgType.GROUP, **extra,
            **kwargs)


class TermsView(GovernanceScoped, TemplateView):
    """Terms overdue or ending within the reminders, across the organisation's subtree."""

    template_name = "orgs/terms.html"

    def get_context_data(self, **kwargs):
        org = self.get_scoped_object()
        terms = Term.objects.restrict(self.request.user, self.perm).filter(org__path__startswith=org.path)
        due = terms_needing_election(terms, dt.date.today())
        without = (self.scoped().filter(path__startswith=org.path, status="active").exclude(org_type=OrgType.GROUP)
                   .exclude(pk__in=Term.objects.filter(ended_on__isnull=True).values("org")).order_by("path")[:200])
        return super().get_context_data(org=org, due=due, without=without, **kwargs)


class SetupView(GovernanceScoped, TemplateView):
    """Setup findings (组织设置) across the organisation's subtree, each with the rule it breaks."""

    template_name = "orgs/setup.html"

    def get_context_data(self, **kwargs):
        org = self.get_scoped_object()
        findings = setup_findings(self.scoped().filter(path__startswith=org.path))
        summary = [(label, n) for code, label in RULE_LABELS.items() if (n := sum(1 for f in findings if f.code == code))]
        return super().get_context_data(org=org, findings=findings, summary=summary, **kwargs)


class GovernanceForm(ActionFormView):
    """A form page of one action; `title` names it, and success returns to the committee page."""

    template_name = "orgs/governance_form.html"
    scoped_model = Organization
    perm = roles.COMMITTEE_MANAGE
    title = ""
    fields_template = "_form_fields.html"

    def render_form(self, target, form):
        return render(self.request, self.template_name, {"form": form, "target": target, "title": self.title,
                                                         "back": self.back_url(target),
                                                         "fields_template": self.fields_template})

    def back_url(self, target):
        return reverse("orgs:committee", args=[target.pk])

    def get_success_url(self, obj):
        return self.back_url(self.get_target())


class TermCreateView(GovernanceForm):
    title = "登记任期"
    form_class = gf.TermForm
    success_message = "已登记任期"

    def perform(self, org, form):
        d = form.cleaned_data
        return committees.do_record_term(org, started_on=d["started_on"], seats=d["seats"], number=d.get("number"),
                                         village_or_community=d["village_or_community"],
                                         schedule_note=d.get("schedule_note") or "", actor=self.request.user)


def _members_of(view, org):
    return (Member.objects.restrict(view.request.user, roles.MEMBER_VIEW)
            .filter(org__path__startswith=org.path, status=MemberStatus.NORMAL).select_related("org").order_by("name"))


class HolderCreateView(GovernanceForm):
    title = "登记委员会成员"
    success_message = "已登记委员会成员"

    def get_form(self, org, data=None):
        return gf.HolderForm(data, members=_members_of(self, org))

    def perform(self, org, form):
        d = form.cleaned_data
        return committees.do_add_committee_member(org, member=d["member"], position=d["position"],
                                                  started_on=d["started_on"], source=d["source"], actor=self.request.user)


class HolderEndView(GovernanceForm):
    title = "登记委员会成员离任"
    success_message = "已登记离任"

    def get_form(self, org, data=None):
        return gf.HolderEndForm(data, holders=committees.current_holders(org))

    def perform(self, org, form):
        d = form.cleaned_data
        return committees.do_end_committee_member(d["holder"], on=d["ended_on"], reason=d["end_reason"],
                                                  actor=self.request.user)


class ElectionCreateView(GovernanceForm):
    title = "筹备选举"
    form_class = gf.ElectionForm
    success_message = "已建立选举，请确定候选人"

    def perform(self, org, form):
        d = form.cleaned_data
        return committees.do_create_election(
            org, kind=d["kind"], held_on=d["held_on"], seats=d["seats"], deputy_seats=d["deputy_seats"],
            elect_secretary=d["elect_secretary"], village_or_community=d["village_or_community"],
            schedule_note=d.get("schedule_note") or "", actor=self.request.user)

    def get_success_url(self, obj):
        return reverse("orgs:election", args=[obj.pk])


class ElectionDetailView(ScopedViewMixin, TemplateView):
    """One election: who is due to attend (and who has no vote, with the reason), the candidates, the count, and the
    approval and filing steps."""

    template_name = "orgs/election.html"
    scoped_model = Election
    perm = roles.COMMITTEE_VIEW

    def get_context_data(self, **kwargs):
        election = self.get_scoped_object()
        candidates = list(election.candidates.select_related("member"))
        manage = self.can(roles.COMMITTEE_MANAGE, election)
        draft = election.state == Election.State.DRAFT
        return super().get_context_data(
            election=election, org=election.org, candidates=candidates,
            candidates_form=gf.CandidatesForm(electorate=_electorate(election)) if manage and draft else None,
            result_form=gf.ResultForm(candidates=candidates) if manage and draft and candidates else None,
            approve_form=gf.ApproveForm() if self.can(roles.COMMITTEE_APPROVE, election) and not draft
            and not election.approved_on else None,
            file_form=gf.FileForm() if manage and not draft and not election.filed_on else None,
            leaders=CommitteeMember.objects.filter(election=election).select_related("member"),
            **kwargs)


def _electorate(election):
    return Member.objects.filter(pk__in=election.electorate).select_related("org").order_by("name")


class ElectionStepView(GovernanceForm):
    scoped_model = Election

    def back_url(self, election):
        return reverse("orgs:election", args=[election.pk])


class CandidatesView(ElectionStepView):
    title = "确定候选人"
    fields_template = "orgs/_candidates_fields.html"
    success_message = "已确定候选人"

    def get_form(self, election, data=None):
        return gf.CandidatesForm(data, electorate=_electorate(election))

    def perform(self, election, form):
        return committees.do_set_candidates(election, candidates=form.candidates(), actor=self.request.user)


class ResultView(ElectionStepView):
    title = "登记选举结果"
    success_message = "已登记选举结果"

    def get_form(self, election, data=None):
        return gf.ResultForm(data, candidates=list(election.candidates.select_related("member")))

    def perform(self, election, form):
        d = form.cleaned_data
        return committees.do_record_result(election, present_count=d["present_count"], votes=form.votes(),
                                           committee_present=d.get("committee_present"), actor=self.request.user)


class ApproveView(ElectionStepView):
    perm = roles.COMMITTEE_APPROVE
    title = "上级党组织批准书记、副书记"
    form_class = gf.ApproveForm
    success_message = "已批准"

    def perform(self, election, form):
        d = form.cleaned_data
        return committees.do_approve_election(election, on=d["approved_on"], document=d.get("approval_document") or "",
                                              actor=self.request.user)


class FileView(ElectionStepView):
    title = "选举结果报上级党组织备案"
    form_class = gf.FileForm
    success_message = "已登记备案"

    def perform(self, election, form):
        return committees.do_file_election(election, on=form.cleaned_data["filed_on"], actor=self.request.user)


class GroupMemberAddView(GovernanceForm):
    title = "编入党小组"
    success_message = "已编入党小组"

    def get_form(self, group, data=None):
        branch = Organization.objects.get_parent(group)
        members = _members_of(self, branch).filter(org=branch) if branch else Member.objects.none()
        return gf.GroupMemberForm(data, members=members)

    def perform(self, group, form):
        d = form.cleaned_data
        return setup_records.do_add_group_member(group, member=d["member"], started_on=d["started_on"],
                                                 is_leader=d["is_leader"], actor=self.request.user)


class GroupMemberEndView(GovernanceForm):
    title = "调出党小组"
    success_message = "已调出"

    def get_form(self, group, data=None):
        placements = GroupMembership.objects.filter(group=group, ended_on__isnull=True).select_related("member")
        return gf.GroupMemberEndForm(data, placements=placements)

    def perform(self, group, form):
        d = form.cleaned_data
        return setup_records.do_end_group_membership(d["placement"], on=d["ended_on"], actor=self.request.user)


class UnitAddView(GovernanceForm):
    title = "登记联合党支部覆盖的单位"
    form_class = gf.UnitForm
    success_message = "已登记覆盖单位"

    def perform(self, org, form):
        d = form.cleaned_data
        return setup_records.do_add_joint_branch_unit(org, name=d["name"], added_on=d["added_on"], actor=self.request.user)


class UnitRemoveView(GovernanceForm):
    title = "移出覆盖单位"
    success_message = "已移出覆盖单位"

    def get_form(self, org, data=None):
        return gf.UnitRemoveForm(data, units=JointBranchUnit.objects.filter(org=org, removed_on__isnull=True))

    def perform(self, org, form):
        d = form.cleaned_data
        return setup_records.do_remove_joint_branch_unit(d["unit"], on=d["removed_on"], actor=self.request.user)
