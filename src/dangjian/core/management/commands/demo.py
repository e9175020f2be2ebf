from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from dangjian.core.demo import DEMO_ACCOUNTS
from dangjian.orgs.models import Organization


class Command(BaseCommand):
    help = "演示模式：迁移数据库，首次运行时生成示范组织，然后启动服务"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--members", type=int, default=2000)
        parser.add_argument("--no-serve", action="store_true", help="只准备数据，不启动服务")

    def handle(self, *args, bind, members, no_serve, **options):
        if settings.PRODUCTION:
            raise CommandError("生产环境不能使用演示模式，请使用 dangjian serve")
        self.stdout.write(f"数据目录：{settings.DATA_DIR}")
        call_command("migrate", interactive=False, verbosity=0)
        if not Organization.objects.exists():
            self.stdout.write("首次运行：正在生成示范党组织……")
            call_command("seed", members=members)
        call_command("collectstatic", interactive=False, verbosity=0)
        host, _, port = bind.rpartition(":")
        self.stdout.write("")
        self.stdout.write(f"访问地址：http://{host or '127.0.0.1'}:{port}/")
        self.stdout.write(f"演示账号（密码均为 {settings.DEMO_PASSWORD}）：")
        for username, role, scope in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<16} {role:<8} {scope}")
        self.stdout.write("")
        if not no_serve:
            call_command("serve", bind=bind)
