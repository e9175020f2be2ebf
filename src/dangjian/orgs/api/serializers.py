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


EFFECTIVE_ON_HELP = "变更在组织历史中生效的日期，不填为今天；不能早于该组织上一次变更的日期"


class OrganizationWriteSerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(required=False, allow_null=True, help_text="上级党组织编号（新增时必填）")
    version = serializers.IntegerField(required=False, help_text="乐观锁版本号：与当前版本不一致时返回 409")
    effective_on = serializers.DateField(required=False, allow_null=True, help_text=EFFECTIVE_ON_HELP)

    class Meta:
        model = Organization
        fields = ["code", "name", "short_name", "org_type", "unit_relation", "founded_on", "contact_name",
                  "contact_phone", "sort_order", "parent", "version", "effective_on"]
        extra_kwargs = {"code": {"validators": []}}


class MoveSerializer(serializers.Serializer):
    parent = serializers.IntegerField(help_text="新的上级党组织编号")
    effective_on = serializers.DateField(required=False, allow_null=True, help_text=EFFECTIVE_ON_HELP)


class MergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(help_text="并入的党组织编号")
    effective_on = serializers.DateField(help_text="合并生效日期")
    reason = serializers.CharField(max_length=200)


class MoveMembersSerializer(serializers.Serializer):
    members = serializers.ListField(child=serializers.IntegerField(), allow_empty=False, max_length=5000,
                                    help_text="调入本组织的党员编号")
    effective_on = serializers.DateField(help_text="调整生效日期")
    reason = serializers.CharField(max_length=200)


class AsOfQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="查询日期，如 2025-12-31；不填为今天")


class CountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    full = serializers.IntegerField()
    probationary = serializers.IntegerField()


class AsOfRowSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="version.org_id")
    parent = serializers.IntegerField(source="version.parent_id", allow_null=True)
    name = serializers.CharField(source="version.name")
    org_type = serializers.CharField(source="version.org_type")
    status = serializers.CharField(source="version.status")
    depth = serializers.IntegerField(source="version.depth")
    direct = CountsSerializer(help_text="直属党员")
    subtree = CountsSerializer(help_text="含下级党员")


class AsOfSerializer(serializers.Serializer):
    date = serializers.DateField()
    organizations = AsOfRowSerializer(many=True, source="rows")


class DissolveSerializer(serializers.Serializer):
    dissolved_on = serializers.DateField()
    dissolved_reason = serializers.CharField(max_length=200)
