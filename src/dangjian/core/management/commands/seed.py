from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dangjian.core import demo


class Command(BaseCommand):
    help = "生成示范党组织与党员数据（固定随机种子，结果可重复）"

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=2000, help="党员人数（默认 2000）")
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（默认 2026）")

    def handle(self, *args, members, seed, **options):
        if settings.PRODUCTION:
            raise CommandError("生产环境不能生成示范数据")
        if members < 10:
            raise CommandError("党员人数至少为 10")

        def progress(n):
            if n % 100_000 == 0:
                self.stdout.write(f"  已写入党员 {n:,} 名")

        try:
            result = demo.seed(members=members, seed=seed, progress=progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            f"示范数据已生成：党组织 {result['organizations']:,} 个（党支部 {result['branches']:,} 个），"
            f"党员 {result['members']:,} 名，用时 {result['seconds']} 秒"
        ))
        # One refresh of the indicators, so the cockpit shows the demo's figures at once.
        from dangjian.analytics.refresh import do_refresh

        run = do_refresh()
        if run.state == "done":
            seconds = sum(run.timings.get(k, 0) for k in ("extract", "compute", "store"))
            self.stdout.write(self.style.SUCCESS(f"指标已计算：{run.timings.get('values', 0):,} 项指标值，用时 {seconds:.1f} 秒"))
        else:
            self.stdout.write(self.style.WARNING(f"指标计算失败（可稍后执行 dangjian analytics refresh）：{run.error}"))
