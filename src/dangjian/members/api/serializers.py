from rest_framework import serializers

from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member

READ_FIELDS = ["id", "name", "gender", "ethnicity", "id_number", "birth_date", "native_place", "education", "degree",
               "occupation_category", "work_unit_and_post", "applied_on", "activist_on", "development_target_on",
               "joined_on", "converted_on", "category", "org", "org_name",
               "phone", "address", "is_mobile", "lost_contact", "status", "status_changed_on", "status_reason",
               "version"]


class MemberSerializer(serializers.ModelSerializer):
    """Read view: 公民身份号码, phone and address are masked; POST …/reveal/ returns them in full (audited)."""

    id_number = serializers.CharField(source="masked_id_number", read_only=True, help_text="已脱敏")
    phone = serializers.CharField(source="masked_phone", read_only=True, help_text="已脱敏")
    address = serializers.CharField(source="masked_address", read_only=True, help_text="已脱敏")
    org_name = serializers.CharField(source="org.name", read_only=True)

    class Meta:
        model = Member
        fields = READ_FIELDS
        read_only_fields = READ_FIELDS


class MemberWriteSerializer(serializers.ModelSerializer):
    org = serializers.IntegerField(required=False, help_text="所在党组织编号（新增时必填）")
    version = serializers.IntegerField(required=False, help_text="乐观锁版本号：与当前版本不一致时返回 409")
    id_number = serializers.CharField(max_length=18, required=False)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)

    class Meta:
        model = Member
        fields = ["name", "gender", "ethnicity", "id_number", "birth_date", "native_place", "education", "degree",
                  "occupation_category", "work_unit_and_post", "applied_on", "activist_on", "development_target_on",
                  "joined_on", "converted_on", "category", "org",
                  "phone", "address", "is_mobile", "lost_contact", "version"]
        # Filled from the 公民身份号码 when left out.
        extra_kwargs = {"birth_date": {"required": False}, "gender": {"required": False}}


class StatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=MemberStatus.choices)
    status_changed_on = serializers.DateField()
    status_reason = serializers.CharField(max_length=200)
    version = serializers.IntegerField(required=False)


class RevealSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, help_text="查看原因（记入审计）")


class RevealedSerializer(serializers.Serializer):
    id_number = serializers.CharField()
    phone = serializers.CharField()
    address = serializers.CharField()
