from rest_framework import serializers

from dangjian.orgs.models import Organization


class OrganizationSerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(source="parent_pk", read_only=True, allow_null=True, help_text="上级党组织编号")
    org_type_display = serializers.CharField(source="get_org_type_display", read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "code", "name", "short_name", "org_type", "org_type_display", "unit_relation", "founded_on",
                  "contact_name", "contact_phone", "sort_order", "status", "dissolved_on", "dissolved_reason",
                  "depth", "numchild", "parent", "version"]
        read_only_fields = ["status", "dissolved_on", "dissolved_reason", "depth", "numchild", "version"]


class OrganizationWriteSerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(required=False, allow_null=True, help_text="上级党组织编号（新增时必填）")
    version = serializers.IntegerField(required=False, help_text="乐观锁版本号：与当前版本不一致时返回 409")

    class Meta:
        model = Organization
        fields = ["code", "name", "short_name", "org_type", "unit_relation", "founded_on", "contact_name",
                  "contact_phone", "sort_order", "parent", "version"]
        extra_kwargs = {"code": {"validators": []}}


class MoveSerializer(serializers.Serializer):
    parent = serializers.IntegerField(help_text="新的上级党组织编号")


class DissolveSerializer(serializers.Serializer):
    dissolved_on = serializers.DateField()
    dissolved_reason = serializers.CharField(max_length=200)
