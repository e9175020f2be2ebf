from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "指标计算：refresh 抽取数据、计算全部指标并保存（可指定截止日期和计算引擎）"

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["refresh"])
        parser.add_argument("--as-of", dest="as_of", help="统计截止日期 YYYY-MM-DD，默认今天")
        parser.add_argument("--engine", choices=["duckdb", "postgres", "spark"], help="计算引擎，默认 duckdb")

    def handle(self, *args, operation, as_of=None, engine=None, **options):
        from dangjian.analytics.refresh import do_refresh
        from dangjian.core import context

        token = context.use_context(source="cli", request_id="analytics-refresh")
        try:
            run = do_refresh(as_of, engine=engine)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        finally:
            context.restore_context(token)
        t = run.timings
        if run.state != "done":
            raise CommandError(f"指标计算失败（{run.as_of}，{run.engine}）：{run.error}")
        self.stdout.write(self.style.SUCCESS(
            f"指标计算完成（截止 {run.as_of}，{run.engine}）：{t.get('values', 0)} 项指标值，{t.get('scores', 0)} 名党员"
            f"活力指数；抽取 {t.get('extract', 0):.2f} 秒，计算 {t.get('compute', 0):.2f} 秒，保存 {t.get('store', 0):.2f} 秒"))
