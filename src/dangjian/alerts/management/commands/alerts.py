import datetime as dt

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "亮灯预警：evaluate 运行全部预警规则（可重复运行，不会重复发现或重复督办）"

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["evaluate"])
        parser.add_argument("--on", help="评估日期 YYYY-MM-DD，默认今天")
        parser.add_argument("--rule", action="append", dest="rules", help="只运行指定规则（可重复）")

    def handle(self, *args, operation, on=None, rules=None, **options):
        from dangjian.alerts.actions import do_run_evaluation
        from dangjian.core import context

        try:
            day = dt.date.fromisoformat(on) if on else None
        except ValueError:
            raise CommandError("日期格式应为 YYYY-MM-DD") from None
        token = context.use_context(source="cli", request_id="alerts-evaluate")
        try:
            run = do_run_evaluation(day, codes=rules)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        finally:
            context.restore_context(token)
        self.stdout.write(self.style.SUCCESS(
            f"预警评估完成（{run.on}）：新发现 {run.opened}，仍存在 {run.still_open}，已消除 {run.resolved}；"
            f"新督办 {run.tasks_opened}，重新督办 {run.tasks_reopened}，提级督办 {run.tasks_escalated}；"
            f"耗时 {run.seconds:.2f} 秒"))
