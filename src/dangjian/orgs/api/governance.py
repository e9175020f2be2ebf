"""API for committees, terms and elections (换届) and organisation setup checks (组织设置).

The same actions, rules and scope as the pages: a body id outside the scope is a 400, an object outside it a 404,
a broken rule a 400 with the Chinese reason under the field it names.
"""

from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from dangjian.accounts import roles
from dangjian.core.api import ScopedGenericViewSet, resolve_in_scope
from dangjian.members.models import Member
from dangjian.orgs import committees, setup_records
from dangjian.orgs.governance_queries import reminder_stage
from dangjian.orgs.models import (
    CommitteeMember, Election, ElectionCandidate, GroupMembership, JointBranchUnit, Organization, Position, Term,
)
from dangjian.orgs.setup_checks import setup_findings


# -- serializers -------------------------------------------------------------------------------------------------

class TermSerializer(serializers.ModelSerializer):
    reminder = serializers.SerializerMethodField(help_text="overdue（已届满）、6 或 2（个月内届满）或 null")

    class Meta:
        model = Term
        fields = ["id", "org", "number", "started_on", "ends_on", "ended_on", "village_or_community", "seats",
                  "schedule_note", "reminder"]

    def get_reminder(self, term) -> str | None:
        if term.ended_on:
            return None
        stage = reminder_stage(term, dt.date.today())
        return None if stage is None else str(stage)


class TermWriteSerializer(serializers.Serializer):
    org = serializers.IntegerField(help_text="党组织编号")
    started_on = serializers.DateField()
    seats = serializers.IntegerField(min_value=0, default=0)
    village_or_community = serializers.BooleanField(default=False)
    number = serializers.IntegerField(min_value=1, required=False)
    schedule_note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class HolderSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    position_display = serializers.CharField(source="get_position_display", read_only=True)
    awaiting_approval = serializers.BooleanField(read_only=True)

    class Meta:
        model = CommitteeMember
        fields = ["id", "org", "term", "member", "member_name", "position", "position_display", "started_on",
                  "ended_on", "end_reason", "source", "election", "approved_on", "approval_document",
                  "awaiting_approval"]


class HolderWriteSerializer(serializers.Serializer):
    org = serializers.IntegerField()
    member = serializers.IntegerField()
    position = serializers.ChoiceField(choices=Position.choices)
    started_on = serializers.DateField()
    source = serializers.ChoiceField(choices=[CommitteeMember.Source.RECORDED, CommitteeMember.Source.APPOINTED],
                                     default=CommitteeMember.Source.RECORDED)


class EndSerializer(serializers.Serializer):
    ended_on = serializers.DateField()
    end_reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CandidateSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = ElectionCandidate
        fields = ["id", "member", "member_name", "position", "duty", "votes", "elected"]


class ElectionSerializer(serializers.ModelSerializer):
    candidates = CandidateSerializer(many=True, read_only=True)
    due_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Election
        fields = ["id", "org", "term", "kind", "held_on", "seats", "deputy_seats", "elect_secretary",
                  "village_or_community", "schedule_note", "due_count", "electorate", "excluded", "present_count",
                  "committee_present", "state", "approved_on", "approval_document", "filed_on", "candidates", "version"]


class ElectionWriteSerializer(serializers.Serializer):
    org = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Election.Kind.choices, default=Election.Kind.GENERAL)
    held_on = serializers.DateField()
    seats = serializers.IntegerField(min_value=0)
    deputy_seats = serializers.IntegerField(min_value=0, default=0)
    elect_secretary = serializers.BooleanField(default=True)
    village_or_community = serializers.BooleanField(required=False, allow_null=True, default=None)
    schedule_note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CandidateInSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    position = serializers.ChoiceField(choices=[Position.MEMBER, Position.SECRETARY, Position.DEPUTY_SECRETARY],
                                       default=Position.MEMBER)
    duty = serializers.ChoiceField(choices=Position.choices, required=False, allow_blank=True, default="")


class CandidatesSerializer(serializers.Serializer):
    candidates = CandidateInSerializer(many=True)


class ResultSerializer(serializers.Serializer):
    present_count = serializers.IntegerField(min_value=0)
    committee_present = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)
    votes = serializers.DictField(child=serializers.IntegerField(min_value=0), help_text="候选人编号 → 得票数")


class ApproveSerializer(serializers.Serializer):
    approved_on = serializers.DateField()
    approval_document = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class FileSerializer(serializers.Serializer):
    filed_on = serializers.DateField()


class GroupMembershipSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = GroupMembership
        fields = ["id", "group", "member", "member_name", "is_leader", "started_on", "ended_on"]


class GroupMembershipWriteSerializer(serializers.Serializer):
    group = serializers.IntegerField()
    member = serializers.IntegerField()
    started_on = serializers.DateField()
    is_leader = serializers.BooleanField(default=False)


class JointBranchUnitSerializer(serializers.ModelSerializer):
    class Meta:
        model = JointBranchUnit
        fields = ["id", "org", "name", "added_on", "removed_on"]


class UnitWriteSerializer(serializers.Serializer):
    org = serializers.IntegerField(help_text="联合党支部编号")
    name = serializers.CharField(max_length=100)
    added_on = serializers.DateField()


class FindingSerializer(serializers.Serializer):
    org = serializers.IntegerField(source="org.pk")
    org_name = serializers.CharField(source="org.name")
    code = serializers.CharField()
    label = serializers.CharField()
    level = serializers.CharField()
    message = serializers.CharField()
    citation = serializers.CharField()
    value = serializers.IntegerField(allow_null=True)
    limit = serializers.IntegerField(allow_null=True)
    members = serializers.ListField(child=serializers.IntegerField())


# -- viewsets ------------------------------------------------------------------------------------------------------

def _org_param(request, perm):
    """The `org` query parameter as an organisation in scope (404 otherwise), or None when absent."""
    raw = request.query_params.get("org")
    if not raw:
        return None
    if not raw.isdigit():
        raise ApiValidationError({"org": ["组织编号应为整数"]})
    return get_object_or_404(Organization.objects.restrict(request.user, perm), pk=int(raw))


def _member(request, pk, field="member"):
    return resolve_in_scope(Member, request.user, roles.MEMBER_VIEW, pk, field)


ORG_FILTER = OpenApiParameter("org", int, description="只看该党组织及其下级组织")


class GovernanceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """List and detail of records of an organisation; `?org=` narrows a list to that organisation's subtree."""

    default_perm = roles.COMMITTEE_VIEW
    org_path = "org__path"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            org = _org_param(self.request, self.default_perm)
            if org is not None:
                queryset = queryset.filter(**{f"{self.org_path}__startswith": org.path})
        return queryset


@extend_schema(parameters=[ORG_FILTER])
class TermViewSet(GovernanceViewSet):
    """任期（届次）：列表（可只看本届 `current=true`、已届满或即将届满 `due=true`）、详情、登记任期。"""

    scoped_model = Term
    serializer_class = TermSerializer

    def get_queryset(self):
        queryset = super().get_queryset().order_by("org__path", "-number")
        params = self.request.query_params
        if params.get("current") == "true" or params.get("due") == "true":
            queryset = queryset.filter(ended_on__isnull=True)
        if params.get("due") == "true":
            from dangjian.orgs.governance_queries import terms_needing_election

            return terms_needing_election(queryset)
        return queryset

    @extend_schema(request=TermWriteSerializer, responses={201: TermSerializer}, summary="登记任期")
    def create(self, request):
        body = TermWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        org = resolve_in_scope(Organization, request.user, roles.COMMITTEE_MANAGE, d.pop("org"), "org")
        term = committees.do_record_term(org, actor=request.user, **d)
        return Response(TermSerializer(term).data, status=status.HTTP_201_CREATED)


@extend_schema(parameters=[ORG_FILTER])
class CommitteeMemberViewSet(GovernanceViewSet):
    """委员会成员（任职记录，永不删除）：列表（`current=true` 只看在任）、详情、补录或上级任命、离任。"""

    scoped_model = CommitteeMember
    scope_perms = {"end": roles.COMMITTEE_MANAGE}
    serializer_class = HolderSerializer

    def get_queryset(self):
        queryset = super().get_queryset().select_related("member").order_by("org__path", "ended_on", "id")
        if self.request.query_params.get("current") == "true":
            queryset = queryset.filter(ended_on__isnull=True)
        return queryset

    @extend_schema(request=HolderWriteSerializer, responses={201: HolderSerializer}, summary="登记委员会成员")
    def create(self, request):
        body = HolderWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        org = resolve_in_scope(Organization, request.user, roles.COMMITTEE_VIEW, d.pop("org"), "org")
        holder = committees.do_add_committee_member(org, member=_member(request, d.pop("member")), actor=request.user, **d)
        return Response(HolderSerializer(holder).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EndSerializer, responses={200: HolderSerializer}, summary="登记离任")
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        holder = self.get_object()
        body = EndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        holder = committees.do_end_committee_member(holder, on=body.validated_data["ended_on"],
                                                    reason=body.validated_data["end_reason"], actor=request.user)
        return Response(HolderSerializer(holder).data)


@extend_schema(parameters=[ORG_FILTER])
class ElectionViewSet(GovernanceViewSet):
    """选举：筹备（应到会有选举权的党员按表决权自动确定）、确定候选人、登记结果、上级批准书记和副书记、报备。"""

    scoped_model = Election
    scope_perms = {"candidates": roles.COMMITTEE_MANAGE, "result": roles.COMMITTEE_MANAGE,
                   "approve": roles.COMMITTEE_APPROVE, "file": roles.COMMITTEE_MANAGE}
    serializer_class = ElectionSerializer

    def get_queryset(self):
        return super().get_queryset().prefetch_related("candidates__member").order_by("-held_on", "-id")

    def _read(self, election):
        return ElectionSerializer(Election.objects.prefetch_related("candidates__member").get(pk=election.pk)).data

    @extend_schema(request=ElectionWriteSerializer, responses={201: ElectionSerializer}, summary="筹备选举")
    def create(self, request):
        body = ElectionWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        org = resolve_in_scope(Organization, request.user, roles.COMMITTEE_MANAGE, d.pop("org"), "org")
        election = committees.do_create_election(org, actor=request.user, **d)
        return Response(self._read(election), status=status.HTTP_201_CREATED)

    @extend_schema(request=CandidatesSerializer, responses={200: ElectionSerializer}, summary="确定候选人")
    @action(detail=True, methods=["post"])
    def candidates(self, request, pk=None):
        election = self.get_object()
        body = CandidatesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rows = [{**row, "member": _member(request, row["member"], "candidates")}
                for row in body.validated_data["candidates"]]
        election = committees.do_set_candidates(election, candidates=rows, actor=request.user)
        return Response(self._read(election))

    @extend_schema(request=ResultSerializer, responses={200: ElectionSerializer}, summary="登记选举结果")
    @action(detail=True, methods=["post"])
    def result(self, request, pk=None):
        election = self.get_object()
        body = ResultSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        votes = {}
        for key, value in d["votes"].items():
            if not str(key).isdigit():
                raise ApiValidationError({"votes": ["候选人编号应为整数"]})
            votes[int(key)] = value
        election = committees.do_record_result(election, present_count=d["present_count"], votes=votes,
                                               committee_present=d["committee_present"], actor=request.user)
        return Response(self._read(election))

    @extend_schema(request=ApproveSerializer, responses={200: ElectionSerializer}, summary="上级党组织批准书记、副书记")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        election = self.get_object()
        body = ApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        election = committees.do_approve_election(election, on=body.validated_data["approved_on"],
                                                  document=body.validated_data["approval_document"], actor=request.user)
        return Response(self._read(election))

    @extend_schema(request=FileSerializer, responses={200: ElectionSerializer}, summary="报上级党组织备案")
    @action(detail=True, methods=["post"])
    def file(self, request, pk=None):
        election = self.get_object()
        body = FileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        election = committees.do_file_election(election, on=body.validated_data["filed_on"], actor=request.user)
        return Response(self._read(election))


@extend_schema(parameters=[ORG_FILTER])
class GroupMembershipViewSet(GovernanceViewSet):
    """党小组成员：列表、编入、调出。"""

    scoped_model = GroupMembership
    scope_perms = {"end": roles.COMMITTEE_MANAGE}
    serializer_class = GroupMembershipSerializer
    org_path = "group__path"

    def get_queryset(self):
        return super().get_queryset().select_related("member").order_by("group__path", "id")

    @extend_schema(request=GroupMembershipWriteSerializer, responses={201: GroupMembershipSerializer}, summary="编入党小组")
    def create(self, request):
        body = GroupMembershipWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        group = resolve_in_scope(Organization, request.user, roles.COMMITTEE_MANAGE, d.pop("group"), "group")
        placed = setup_records.do_add_group_member(group, member=_member(request, d.pop("member")), actor=request.user, **d)
        return Response(GroupMembershipSerializer(placed).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EndSerializer, responses={200: GroupMembershipSerializer}, summary="调出党小组")
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        placed = self.get_object()
        body = EndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        placed = setup_records.do_end_group_membership(placed, on=body.validated_data["ended_on"], actor=request.user)
        return Response(GroupMembershipSerializer(placed).data)


@extend_schema(parameters=[ORG_FILTER])
class JointBranchUnitViewSet(GovernanceViewSet):
    """联合党支部覆盖的单位：列表、登记、移出（`ended_on` 为移出日期）。"""

    scoped_model = JointBranchUnit
    scope_perms = {"end": roles.COMMITTEE_MANAGE}
    serializer_class = JointBranchUnitSerializer

    def get_queryset(self):
        return super().get_queryset().order_by("org__path", "id")

    @extend_schema(request=UnitWriteSerializer, responses={201: JointBranchUnitSerializer}, summary="登记覆盖单位")
    def create(self, request):
        body = UnitWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        org = resolve_in_scope(Organization, request.user, roles.COMMITTEE_MANAGE, d.pop("org"), "org")
        unit = setup_records.do_add_joint_branch_unit(org, actor=request.user, **d)
        return Response(JointBranchUnitSerializer(unit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EndSerializer, responses={200: JointBranchUnitSerializer}, summary="移出覆盖单位")
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        unit = self.get_object()
        body = EndSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        unit = setup_records.do_remove_joint_branch_unit(unit, on=body.validated_data["ended_on"], actor=request.user)
        return Response(JointBranchUnitSerializer(unit).data)


class SetupFindingViewSet(mixins.ListModelMixin, ScopedGenericViewSet):
    """组织设置检查：某党组织及其下级组织不符合组织设置规定的情况（规则代码、级别、中文说明、依据）。"""

    scoped_model = Organization
    default_perm = roles.COMMITTEE_VIEW
    serializer_class = FindingSerializer
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("org", int, required=True, description="党组织编号"),
                               OpenApiParameter("on", str, description="检查日期 YYYY-MM-DD，默认今天")],
                   responses={200: FindingSerializer(many=True)}, summary="组织设置检查")
    def list(self, request):
        org = _org_param(request, roles.COMMITTEE_VIEW)
        if org is None:
            raise ApiValidationError({"org": ["请指定党组织"]})
        try:
            on = dt.date.fromisoformat(request.query_params["on"]) if request.query_params.get("on") else None
        except ValueError:
            raise ApiValidationError({"on": ["日期格式应为 YYYY-MM-DD"]}) from None
        findings = setup_findings(self.get_queryset().filter(path__startswith=org.path), on=on)
        return Response(FindingSerializer(findings, many=True).data)
