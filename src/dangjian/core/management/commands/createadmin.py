import secrets
import string

from django.core.management.base import BaseCommand, CommandError
from django.core.exceptions import ValidationError
from django.db import transaction

from dangjian.accounts import actions
from dangjian.accounts.models import User
from dangjian.accounts.roles import ADMIN_ROLES, RoleName


def random_password(length: int = 20) -> str:
    alphabet = string.ascii_letters + string.digits + "-_.!@#%"
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length))
        if (any(c.islower() for c in candidate) and any(c.isupper() for c in candidate)
                and any(c.isdigit() for c in candidate) and any(not c.isalnum() for c in candidate)):
            return candidate


class Command(BaseCommand):
    help = "创建系统管理员、安全管理员或审计管理员账号（三员分立，每个账号只担任一种管理员）"

    def add_arguments(self, parser):
        parser.add_argument("--role", required=True, choices=sorted(ADMIN_ROLES))
        parser.add_argument("--username", required=True)

    def handle(self, *args, role, username, **options):
        password = random_password()
        try:
            with transaction.atomic():
                user = actions.do_create_account(username=username, password=password,
                                                 display_name=RoleName(role).label)
                actions.do_assign_role(user, role=role)
                # The initial password must be changed at first log-in.
                User.objects.filter(pk=user.pk).update(password_changed_at=None)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        label = RoleName(role).label
        self.stdout.write(self.style.SUCCESS(f"已创建{label}账号 {username}"))
        self.stdout.write(f"初始密码（只显示这一次，请妥善保管并尽快修改）：{password}")
