from rest_framework import serializers

from ..models import ImportJob


class ImportJobSerializer(serializers.ModelSerializer):
    org = serializers.CharField(source="root_org.code", read_only=True)
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ImportJob
        fields = ["id", "kind", "file_name", "org", "keep_valid", "state", "message", "percent", "total_rows",
                  "new_count", "updated_count", "unchanged_count", "error_count", "created_at", "finished_at"]
        read_only_fields = fields


class ImportStartSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportJob.Kind.choices, label="导入内容")
    org = serializers.IntegerField(label="导入到党组织（编号）")
    file = serializers.FileField(label="文件（.xlsx / .xls / .csv）")
    keep_valid = serializers.BooleanField(default=False, label="有错误时只导入无误的行")
    commit = serializers.BooleanField(default=False, label="校验通过后直接导入（否则只校验，等待确认）")


class ImportCommitSerializer(serializers.Serializer):
    keep_valid = serializers.BooleanField(required=False, label="有错误时只导入无误的行")


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(label="行号")
    column = serializers.CharField(label="列")
    reason = serializers.CharField(label="原因")
