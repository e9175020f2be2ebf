from django.core.management.base import BaseCommand, CommandError

from dangjian.core import audit


class Command(BaseCommand):
    help = "审计链操作：verify 校验审计记录是否被修改、删除、插入或重排"

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["verify"])

    def handle(self, *args, operation, **options):
        result = audit.verify()
        if not result.ok:
            raise CommandError(f"审计链校验失败：第一条异常记录序号 {result.first_bad_seq}。{result.reason}")
        self.stdout.write(self.style.SUCCESS(f"审计链完整：{result.checked} 条记录"))
