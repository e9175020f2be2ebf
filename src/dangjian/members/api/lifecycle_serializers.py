from rest_framework import serializers

from dangjian.members.models import (
    Absence, DisciplinaryAction, MemberContact, MobileRecord, StatusChangeProposal,
)


class StatusProposalSerializer(serializers.ModelSerializer):
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = StatusChangeProposal
        fields = ["id", "member", "member_name", "kind", "ground", "reason", "branch_meeting_on", "state", "note",
                  "history", "decided_on", "version"]
        read_only_fields = fields


class StatusProposalWriteSerializer(serializers.Serializer):
    member = serializers.IntegerField(help_text="党员编号")
    kind = serializers.ChoiceField(choices=StatusChangeProposal.Kind.choices)
    ground = serializers.ChoiceField(choices=StatusChangeProposal.Ground.choices)
    reason = serializers.CharField(max_length=300)
    branch_meeting_on = serializers.DateField(required=False, allow_null=True, help_text="除名时必填")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class DecisionSerializer(serializers.Serializer):
    on = serializers.DateField(required=False, help_text="批准日期，默认今天")


class DueProposalSerializer(serializers.Serializer):
    member = serializers.IntegerField(source="member.pk")
    member_name = serializers.CharField(source="member.name")
    kind = serializers.CharField()
    ground = serializers.CharField()
    since = serializers.DateField()
    due_on = serializers.DateField()


class AbsenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Absence
        fields = ["id", "member", "kind", "since", "ended_on", "note"]
        read_only_fields = ["id", "ended_on"]
        extra_kwargs = {"member": {"validators": []}}


class AbsenceWriteSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Absence.Kind.choices)
    since = serializers.DateField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class AbsenceEndSerializer(serializers.Serializer):
    ended_on = serializers.DateField()
    note = serializers.CharField(max_length=100, required=False, allow_blank=True)


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = MemberContact
        fields = ["id", "member", "on", "method", "reached", "note"]
        read_only_fields = fields


class ContactWriteSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    on = serializers.DateField()
    method = serializers.ChoiceField(choices=MemberContact.Method.choices)
    reached = serializers.BooleanField(default=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class DeathSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    died_on = serializers.DateField()
    note = serializers.CharField(max_length=150, required=False, allow_blank=True)


class DisciplineSerializer(serializers.ModelSerializer):
    """Read view: the reason is always masked; POST …/reveal/ returns it (audited)."""

    reason = serializers.CharField(source="masked_reason", read_only=True, help_text="已隐藏")
    member_name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = DisciplinaryAction
        fields = ["id", "member", "member_name", "kind", "decided_on", "deciding_body", "document_number",
                  "starts_on", "ends_on", "reason"]
        read_only_fields = fields


class DisciplineWriteSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=DisciplinaryAction.Kind.choices)
    decided_on = serializers.DateField()
    deciding_body = serializers.CharField(max_length=100)
    document_number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField()


class DisciplineRevealedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()


class MobileRecordSerializer(serializers.ModelSerializer):
    contact_phone = serializers.CharField(source="masked_contact_phone", read_only=True, help_text="已脱敏")
    member_name = serializers.CharField(source="member.name", read_only=True)
    review_due_on = serializers.DateField(read_only=True)

    class Meta:
        model = MobileRecord
        fields = ["id", "member", "member_name", "home_org", "inflow_org", "destination", "out_since", "reason",
                  "contact_phone", "inflow_registered_on", "certificate_number", "certificate_issued_on",
                  "certificate_valid_until", "last_reviewed_on", "review_due_on", "state", "closed_on", "closure",
                  "history", "version"]
        read_only_fields = fields


class CertificateSerializer(serializers.Serializer):
    certificate_number = serializers.CharField(max_length=32)
    certificate_issued_on = serializers.DateField()
    certificate_valid_until = serializers.DateField()


class OutflowSerializer(serializers.Serializer):
    member = serializers.IntegerField()
    inflow_org = serializers.IntegerField(required=False, allow_null=True, help_text="流入党组织编号（本系统内）")
    destination = serializers.CharField(max_length=100, required=False, allow_blank=True)
    out_since = serializers.DateField()
    reason = serializers.CharField(max_length=100)
    contact_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    certificate_number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    certificate_issued_on = serializers.DateField(required=False, allow_null=True)
    certificate_valid_until = serializers.DateField(required=False, allow_null=True)


class MobileStepSerializer(serializers.Serializer):
    on = serializers.DateField()
    note = serializers.CharField(max_length=100, required=False, allow_blank=True)


class MobileCloseSerializer(MobileStepSerializer):
    closure = serializers.ChoiceField(choices=MobileRecord.Closure.choices)
