"""API of the member lifecycle: the same actions, rules and scope as the pages."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from dangjian.accounts import roles
from dangjian.core.api import ScopedGenericViewSet, resolve_in_scope
from dangjian.members import actions
from dangjian.members.lifecycle_queries import (
    due_for_proposal, home_mobile_records, inflow_mobile_records, open_mobile_records, review_overdue,
)
from dangjian.members.models import Absence, DisciplinaryAction, Member, MemberContact, MobileRecord, StatusChangeProposal
from dangjian.orgs.models import Organization

from . import lifecycle_serializers as s
from .serializers import MemberSerializer


def _body(serializer_class, request):
    body = serializer_class(data=request.data)
    body.is_valid(raise_exception=True)
    return dict(body.validated_data)


def _member(request, pk, perm=roles.MEMBER_CHANGE):
    return resolve_in_scope(Member, request.user, perm, pk, "member")


class StatusProposalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """党籍处置（停止党籍、除名、恢复党籍）：支部提出，上级党委批准或退回；批准后党籍状态才变更。"""

    scoped_model = StatusChangeProposal
    default_perm = roles.MEMBER_VIEW
    scope_perms = {"create": roles.MEMBER_CHANGE, "resubmit": roles.MEMBER_CHANGE, "withdraw": roles.MEMBER_CHANGE,
                   "due": roles.MEMBER_CHANGE, "approve": roles.STATUS_APPROVE, "send_back": roles.STATUS_APPROVE}
    serializer_class = s.StatusProposalSerializer

    def get_queryset(self):
        rows = super().get_queryset().select_related("member").order_by("-id")
        state = self.request.query_params.get("state")
        return rows.filter(state=state) if state in StatusChangeProposal.State.values else rows

    @extend_schema(request=s.StatusProposalWriteSerializer, responses={201: s.StatusProposalSerializer},
                   summary="提出党籍处置")
    def create(self, request):
        data = _body(s.StatusProposalWriteSerializer, request)
        member = _member(request, data.pop("member"))
        proposal = actions.do_propose_status_change(member, actor=request.user, **data)
        return Response(s.StatusProposalSerializer(proposal).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.DecisionSerializer, responses={200: s.StatusProposalSerializer}, summary="上级党委批准")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        obj = self.get_object()  # outside the scope: 404 before anything else
        data = _body(s.DecisionSerializer, request)
        proposal = actions.do_approve_status_change(obj, actor=request.user, on=data.get("on"))
        return Response(s.StatusProposalSerializer(proposal).data)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.StatusProposalSerializer}, summary="上级党委退回")
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        obj = self.get_object()  # outside the scope: 404 before anything else
        data = _body(s.ReasonSerializer, request)
        proposal = actions.do_send_back_status_change(obj, reason=data.get("reason", ""),
                                                      actor=request.user)
        return Response(s.StatusProposalSerializer(proposal).data)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.StatusProposalSerializer}, summary="支部重新提交")
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        obj = self.get_object()  # outside the scope: 404 before anything else
        data = _body(s.ReasonSerializer, request)
        proposal = actions.do_resubmit_status_change(obj, reason=data.get("reason", ""),
                                                     actor=request.user)
        return Response(s.StatusProposalSerializer(proposal).data)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.StatusProposalSerializer}, summary="支部撤回")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        obj = self.get_object()  # outside the scope: 404 before anything else
        data = _body(s.ReasonSerializer, request)
        proposal = actions.do_withdraw_status_change(obj, reason=data.get("reason", ""),
                                                     actor=request.user)
        return Response(s.StatusProposalSerializer(proposal).data)

    @extend_schema(responses={200: s.DueProposalSerializer(many=True)}, summary="应提出党籍处置的党员")
    @action(detail=False, methods=["get"])
    def due(self, request):
        return Response(s.DueProposalSerializer(due_for_proposal(request.user), many=True).data)


class AbsenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """失联、出国（境）情况：起始日期决定处置期限；失联登记使党员标记为失联。"""

    scoped_model = Absence
    default_perm = roles.MEMBER_VIEW
    scope_perms = {"create": roles.MEMBER_CHANGE, "end": roles.MEMBER_CHANGE}
    serializer_class = s.AbsenceSerializer

    def get_queryset(self):
        return super().get_queryset().order_by("-id")

    @extend_schema(request=s.AbsenceWriteSerializer, responses={201: s.AbsenceSerializer}, summary="登记失联或出国（境）")
    def create(self, request):
        data = _body(s.AbsenceWriteSerializer, request)
        member = _member(request, data.pop("member"))
        absence = actions.do_record_absence(member, actor=request.user, **data)
        return Response(s.AbsenceSerializer(absence).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AbsenceEndSerializer, responses={200: s.AbsenceSerializer}, summary="登记恢复联系或回国")
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        obj = self.get_object()  # outside the scope: 404 before anything else
        data = _body(s.AbsenceEndSerializer, request)
        absence = actions.do_end_absence(obj, actor=request.user, **data)
        return Response(s.AbsenceSerializer(absence).data)


class MemberContactViewSet(mixins.ListModelMixin, ScopedGenericViewSet):
    """联系记录：与失联、出国（境）和流动党员的每一次联系。"""

    scoped_model = MemberContact
    default_perm = roles.MEMBER_VIEW
    scope_perms = {"create": roles.MEMBER_CHANGE}
    serializer_class = s.ContactSerializer

    def get_queryset(self):
        rows = super().get_queryset().order_by("-on", "-id")
        member = self.request.query_params.get("member")
        return rows.filter(member_id=member) if (member or "").isdigit() else rows

    @extend_schema(request=s.ContactWriteSerializer, responses={201: s.ContactSerializer}, summary="登记联系情况")
    def create(self, request):
        data = _body(s.ContactWriteSerializer, request)
        member = _member(request, data.pop("member"))
        contact = actions.do_record_contact(member, actor=request.user, **data)
        return Response(s.ContactSerializer(contact).data, status=status.HTTP_201_CREATED)


class MemberDeathViewSet(ScopedGenericViewSet):
    """登记党员死亡：档案保留，党籍状态为死亡并记录日期，党龄计算至死亡日期。"""

    scoped_model = Member
    default_perm = roles.MEMBER_CHANGE
    serializer_class = s.DeathSerializer

    @extend_schema(request=s.DeathSerializer, responses={200: MemberSerializer}, summary="登记党员死亡")
    def create(self, request):
        data = _body(s.DeathSerializer, request)
        member = _member(request, data.pop("member"))
        member = actions.do_record_member_death(member, actor=request.user, **data)
        return Response(MemberSerializer(member).data)


class DisciplinaryActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """党纪处分：列表和详情中处分事由一律隐藏；POST …/reveal/ 查看（须授权，记入审计）。"""

    scoped_model = DisciplinaryAction
    default_perm = roles.DISCIPLINE_VIEW
    scope_perms = {"create": roles.DISCIPLINE_MANAGE, "reveal": roles.DISCIPLINE_REVEAL}
    serializer_class = s.DisciplineSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("member").order_by("-decided_on", "-id")

    @extend_schema(request=s.DisciplineWriteSerializer, responses={201: s.DisciplineSerializer}, summary="登记党纪处分")
    def create(self, request):
        data = _body(s.DisciplineWriteSerializer, request)
        member = _member(request, data.pop("member"), roles.DISCIPLINE_MANAGE)
        record = actions.do_record_disciplinary_action(member, data=data, actor=request.user)
        return Response(s.DisciplineSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.DisciplineRevealedSerializer},
                   summary="查看处分事由（记入审计）")
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        obj = self.get_object()  # outside the scope: 404 before anything else
        data = _body(s.ReasonSerializer, request)
        return Response(actions.do_reveal_disciplinary_action(obj, actor=request.user,
                                                              reason=data.get("reason", "")))


class MobileRecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """流动党员：流出登记、流入登记、活动证及年审、结束登记。`side=out`（本组织流出）或 `side=in`（流入本组织）；
    `overdue=1` 只列活动证逾期未年审的。"""

    scoped_model = MobileRecord
    default_perm = roles.MEMBER_CHANGE
    serializer_class = s.MobileRecordSerializer

    def get_queryset(self):
        side = self.request.query_params.get("side")
        if self.action == "list" and side == "in":
            rows = inflow_mobile_records(self.request.user, roles.MEMBER_CHANGE)
        elif self.action == "list" and side == "out":
            rows = home_mobile_records(self.request.user, roles.MEMBER_CHANGE)
        else:
            rows = super().get_queryset()
        return rows.select_related("member").order_by("-id")

    def list(self, request):
        rows = self.get_queryset()
        if request.query_params.get("overdue") == "1":
            overdue = review_overdue(open_mobile_records(rows), dt.date.today())
            return Response(s.MobileRecordSerializer(overdue, many=True).data)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.MobileRecordSerializer(page, many=True).data)

    @extend_schema(request=s.OutflowSerializer, responses={201: s.MobileRecordSerializer}, summary="流动党员外出登记")
    def create(self, request):
        data = _body(s.OutflowSerializer, request)
        member = _member(request, data.pop("member"))
        if data.get("inflow_org") is not None:
            org = Organization.objects.filter(pk=data["inflow_org"]).first()
            if org is None:
                raise serializers.ValidationError({"inflow_org": ["所选流入党组织不存在"]})
            data["inflow_org"] = org
        record = actions.do_register_mobile_outflow(member, data=data, actor=request.user)
        return Response(s.MobileRecordSerializer(record).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.MobileStepSerializer, responses={200: s.MobileRecordSerializer}, summary="流入登记")
    @action(detail=True, methods=["post"])
    def inflow(self, request, pk=None):
        obj = self.get_object()  # outside the scope: 404 before anything else
        data = _body(s.MobileStepSerializer, request)
        record = actions.do_register_mobile_inflow(obj, actor=request.user, **data)
        return Response(s.MobileRecordSerializer(record).data)

    @extend_schema(request=s.CertificateSerializer, responses={200: s.MobileRecordSerializer}, summary="登记活动证")
    @action(detail=True, methods=["post"])
    def certificate(self, request, pk=None):
        obj = self.get_object()  # outside the scope: 404 before anything else
        data = _body(s.CertificateSerializer, request)
        record = actions.do_issue_mobile_certificate(obj, data=data, actor=request.user)
        return Response(s.MobileRecordSerializer(record).data)

    @extend_schema(request=s.MobileStepSerializer, responses={200: s.MobileRecordSerializer}, summary="活动证年审")
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        obj = self.get_object()  # outside the scope: 404 before anything else
        data = _body(s.MobileStepSerializer, request)
        record = actions.do_review_mobile_certificate(obj, actor=request.user, **data)
        return Response(s.MobileRecordSerializer(record).data)

    @extend_schema(request=s.MobileCloseSerializer, responses={200: s.MobileRecordSerializer}, summary="结束登记")
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        obj = self.get_object()  # outside the scope: 404 before anything else
        data = _body(s.MobileCloseSerializer, request)
        record = actions.do_close_mobile_record(obj, actor=request.user, **data)
        return Response(s.MobileRecordSerializer(record).data)
