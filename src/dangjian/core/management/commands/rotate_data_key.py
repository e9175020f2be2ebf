import secrets

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from dangjian.core import audit, crypto
from dangjian.core.fields import EncryptedTextField


def encrypted_fields():
    for model in apps.get_models():
        names = [f.name for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]
        if names:
            yield model, names


class Command(BaseCommand):
    help = "轮换数据加密密钥：生成新的 SM4 密钥并用它重新加密全部敏感字段"

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args, batch, **options):
        if settings.DATA_KEY:
            raise CommandError(
                "当前密钥来自环境变量 DANGJIAN_DATA_KEY，无法自动轮换。"
                "请改用密钥文件（DANGJIAN_KEY_FILE）后再执行轮换。"
            )
        ring = crypto.provider().ring
        new_id = f"k{len(ring.data_keys) + 1}"
        while new_id in ring.data_keys:
            new_id += "x"
        ring.data_keys[new_id] = secrets.token_bytes(16)
        old_id = ring.current
        ring.current = new_id
        # Write the key file first: rows re-encrypted below must stay readable after a crash.
        crypto.write_key_file(settings.KEY_FILE, ring)
        crypto.reset_provider()
        total = 0
        for model, names in encrypted_fields():
            last_pk = 0
            while True:
                with transaction.atomic():
                    rows = list(model._base_manager.select_for_update().filter(pk__gt=last_pk).order_by("pk")[:batch])
                    if not rows:
                        break
                    model._base_manager.bulk_update(rows, names)
                    last_pk = rows[-1].pk
                    total += len(rows)
        with transaction.atomic():
            audit.record("crypto.rotate_data_key", actor_name="cli",
                         after={"old_key": old_id, "new_key": new_id, "rows": total})
        self.stdout.write(self.style.SUCCESS(f"数据密钥已从 {old_id} 轮换为 {new_id}，重新加密 {total:,} 条记录"))
