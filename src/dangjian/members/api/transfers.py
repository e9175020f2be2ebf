"""组织关系转接 through the API: transfers inside the system, letters to outside, letters registered from outside.

The same actions as the pages, so the same rules, steps and scope: a transfer is visible to both sides; each step
may be taken only by the side whose turn it is (anyone else gets 404, as on the pages)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from dangjian.accounts import roles
from dangjian.core.api import ScopedGenericViewSet, resolve_in_scope
from dangjian.members import actions
from dangjian.members.models import IncomingLetter, Member, Transfer, TransferLetter
from dangjian.orgs.models import Organization

from .serializers import MemberWriteSerializer


class TransferSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    from_org_name = serializers.CharField(source="from_org.name", read_only=True)
    to_org_name = serializers.CharField(source="to_org.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    awaiting = serializers.CharField(read_only=True, help_text="下一步由谁办理：sender_committee 转出党委、"
                                     "receiver_committee 接收党委、receiver 接收党组织、sender 转出支部（被退回）")

    class Meta:
        model = Transfer
        fields = ["id", "member", "member_name", "from_org", "from_org_name", "to_org", "to_org_name", "reason",
                  "state", "state_display", "awaiting", "sender_approval", "receiver_approval", "note", "history",
                  "received_on", "created_at", "version"]
        read_only_fields = fields


class ApplySerializer(serializers.Serializer):
    member = serializers.IntegerField(help_text="党员编号")
    to_org = serializers.IntegerField(help_text="接收党组织编号（全系统任一党组织）")
    reason = serializers.CharField(max_length=200)


class ReceiveSerializer(serializers.Serializer):
    received_on = serializers.DateField(required=False, help_text="接收日期，不填为今天")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class TransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """组织关系转接（系统内）：申请、转出党委审批、接收党委同意（按本地设置）、接收、退回、撤回、重新提交。"""

    scoped_model = Transfer
    default_perm = roles.MEMBER_VIEW
    # Each step is found with the permission of the side that takes it (the action checks the exact organisation).
    scope_perms = {"approve": roles.TRANSFER_APPROVE, "agree": roles.TRANSFER_APPROVE, "receive": roles.MEMBER_ADD,
                   "withdraw": roles.MEMBER_CHANGE, "resubmit": roles.MEMBER_CHANGE}
    serializer_class = TransferSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("member", "from_org", "to_org").order_by("-created_at", "-id")

    def _done(self, transfer, code=status.HTTP_200_OK):
        fresh = Transfer.objects.select_related("member", "from_org", "to_org").get(pk=transfer.pk)
        return Response(TransferSerializer(fresh).data, status=code)

    @extend_schema(request=ApplySerializer, responses={201: TransferSerializer}, summary="申请组织关系转接（转出支部）")
    def create(self, request):
        body = ApplySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        member = resolve_in_scope(Member, request.user, roles.MEMBER_CHANGE, body.validated_data["member"], "member")
        to_org = Organization.objects.filter(pk=body.validated_data["to_org"]).first()
        if to_org is None:
            raise serializers.ValidationError({"to_org": ["接收党组织不存在"]})
        transfer = actions.do_apply_transfer(member, to_org=to_org, reason=body.validated_data["reason"],
                                             actor=request.user)
        return self._done(transfer, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: TransferSerializer}, summary="转出党委审批通过")
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._done(actions.do_approve_transfer(self.get_object(), actor=request.user))

    @extend_schema(request=None, responses={200: TransferSerializer}, summary="接收党委同意")
    @action(detail=True, methods=["post"])
    def agree(self, request, pk=None):
        return self._done(actions.do_agree_transfer(self.get_object(), actor=request.user))

    @extend_schema(request=ReceiveSerializer, responses={200: TransferSerializer}, summary="接收党组织接收")
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        target = self.get_object()
        body = ReceiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(actions.do_receive_transfer(target, actor=request.user,
                                                      on=body.validated_data.get("received_on")))

    @extend_schema(request=ReasonSerializer, responses={200: TransferSerializer}, summary="退回上一步（须写明原因）")
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        target = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(actions.do_send_back_transfer(target, reason=body.validated_data.get("reason", ""),
                                                        actor=request.user))

    @extend_schema(request=ReasonSerializer, responses={200: TransferSerializer}, summary="撤回（下一步办理之前）")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        target = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(actions.do_withdraw_transfer(target, reason=body.validated_data.get("reason", ""),
                                                       actor=request.user))

    @extend_schema(request=None, responses={200: TransferSerializer}, summary="被退回后重新提交")
    @action(detail=True, methods=["post"])
    def resubmit(self, request, pk=None):
        return self._done(actions.do_resubmit_transfer(self.get_object(), actor=request.user))


class LetterSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    from_org_name = serializers.CharField(source="from_org.name", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)

    class Meta:
        model = TransferLetter
        fields = ["id", "number", "member", "member_name", "from_org", "from_org_name", "to_org_name", "reason",
                  "issued_on", "valid_until", "dues_paid_until", "state", "state_display", "receipt_org_name",
                  "receipt_on", "version"]
        read_only_fields = fields


class IssueSerializer(serializers.Serializer):
    member = serializers.IntegerField(help_text="党员编号")
    to_org_name = serializers.CharField(max_length=100, help_text="本系统以外的接收党组织全称")
    reason = serializers.CharField(max_length=200)
    issued_on = serializers.DateField(required=False, help_text="开具日期，不填为今天")


class ReceiptSerializer(serializers.Serializer):
    receipt_org_name = serializers.CharField(max_length=100)
    receipt_on = serializers.DateField()


class TransferLetterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """组织关系介绍信（转往本系统以外）：开具、登记回执、作废。"""

    scoped_model = TransferLetter
    default_perm = roles.MEMBER_VIEW
    scope_perms = {"receipt": roles.MEMBER_CHANGE, "cancel": roles.MEMBER_CHANGE}
    serializer_class = LetterSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("member", "from_org")

    def _done(self, letter, code=status.HTTP_200_OK):
        return Response(LetterSerializer(TransferLetter.objects.select_related("member", "from_org")
                                         .get(pk=letter.pk)).data, status=code)

    @extend_schema(request=IssueSerializer, responses={201: LetterSerializer}, summary="开具组织关系介绍信")
    def create(self, request):
        body = IssueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        member = resolve_in_scope(Member, request.user, roles.MEMBER_CHANGE, data.pop("member"), "member")
        letter = actions.do_issue_transfer_letter(member, actor=request.user, **data)
        return self._done(letter, status.HTTP_201_CREATED)

    @extend_schema(request=ReceiptSerializer, responses={200: LetterSerializer}, summary="登记回执（党员组织关系转出）")
    @action(detail=True, methods=["post"])
    def receipt(self, request, pk=None):
        target = self.get_object()
        body = ReceiptSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(actions.do_record_letter_receipt(target, actor=request.user,
                                                           **body.validated_data))

    @extend_schema(request=ReasonSerializer, responses={200: LetterSerializer}, summary="作废介绍信")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        target = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(actions.do_cancel_transfer_letter(target, actor=request.user,
                                                            reason=body.validated_data.get("reason", "")))


class IncomingLetterSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)
    to_org_name = serializers.CharField(source="to_org.name", read_only=True)

    class Meta:
        model = IncomingLetter
        fields = ["id", "number", "from_org_name", "to_org", "to_org_name", "member", "member_name", "issued_on",
                  "valid_until", "received_on", "dues_paid_until", "overdue_note", "created_at"]
        read_only_fields = fields


class IncomingLetterFieldsSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=64)
    from_org_name = serializers.CharField(max_length=100)
    issued_on = serializers.DateField()
    valid_until = serializers.DateField()
    received_on = serializers.DateField()
    dues_paid_until = serializers.DateField(required=False, allow_null=True)
    overdue_note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class RegisterIncomingSerializer(serializers.Serializer):
    letter = IncomingLetterFieldsSerializer()
    member = MemberWriteSerializer(help_text="党员信息；org 为接收党组织编号")


class IncomingLetterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """转入介绍信（来自本系统以外）：登记后党员自报到日期起编入接收党组织。"""

    scoped_model = IncomingLetter
    default_perm = roles.MEMBER_VIEW
    serializer_class = IncomingLetterSerializer

    def get_queryset(self):
        return super().get_queryset().select_related("member", "to_org")

    @extend_schema(request=RegisterIncomingSerializer, responses={201: IncomingLetterSerializer},
                   summary="登记转入介绍信")
    def create(self, request):
        body = RegisterIncomingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        member_data = dict(body.validated_data["member"])
        member_data.pop("version", None)
        if "org" not in member_data:
            raise serializers.ValidationError({"member": {"org": ["请选择接收党组织"]}})
        org = resolve_in_scope(Organization, request.user, roles.MEMBER_ADD, member_data.pop("org"), "org")
        registered = actions.do_register_incoming_letter(org=org, letter=dict(body.validated_data["letter"]),
                                                         member_data=member_data, actor=request.user)
        return Response(IncomingLetterSerializer(registered).data, status=status.HTTP_201_CREATED)
