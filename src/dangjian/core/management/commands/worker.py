import threading
from importlib import import_module

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand

from dangjian.core import crypto, schedule


def on_worker_start() -> list[str]:
    """Each app's `jobs.on_worker_start()` (resume interrupted work, purge expired files); what each did."""
    done = []
    for config in apps.get_app_configs():
        if not config.name.startswith("dangjian."):
            continue
        try:
            module = import_module(f"{config.name}.jobs")
        except ModuleNotFoundError:
            continue
        hook = getattr(module, "on_worker_start", None)
        if hook is not None:
            done.append(f"{config.verbose_name}：{hook()}")
    return done


class Command(BaseCommand):
    help = "运行后台任务（批量导入、预警评估等）；启动时先恢复被中断的任务；每天按时加入定时任务（如夜间预警评估）"

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="处理完队列中的任务后退出")

    def handle(self, *args, batch, **options):
        crypto.provider()
        for line in on_worker_start():
            self.stdout.write(line)
        self.stdout.write("后台任务进程已启动")
        if not batch:
            for job in schedule.jobs():
                self.stdout.write(f"定时任务 {job.name}：{'每天 ' + job.at.strftime('%H:%M') if job.at else '未启用'}")
            schedule.start(threading.Event())
        call_command("db_worker", batch=batch, no_startup_delay=True, reload=False, verbosity=options["verbosity"])
