import atexit
import os
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand


def start_worker() -> subprocess.Popen:
    """The background-job worker runs beside the web server and stops with it."""
    worker = subprocess.Popen([sys.executable, "-m", "dangjian.cli", "worker"])
    parent = os.getpid()

    def stop():
        if os.getpid() == parent and worker.poll() is None:  # the web workers forked from us inherit this hook
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()

    atexit.register(stop)
    return worker


class Command(BaseCommand):
    help = "以生产级 WSGI 服务器（gunicorn）运行平台"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=3)
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程（另行运行 dangjian worker）")

    def handle(self, *args, bind, workers, no_worker=False, **options):
        from gunicorn.app.base import BaseApplication

        from dangjian.config.wsgi import application

        class Server(BaseApplication):
            def load_config(self):
                config = {
                    "bind": bind,
                    "workers": workers,
                    "worker_class": "gthread",
                    "threads": 4,
                    "timeout": 60,
                    "accesslog": "-",
                    # No query strings in the access log: searches may carry personal data.
                    "access_log_format": '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
                    "forwarded_allow_ips": "127.0.0.1",
                }
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self):
                return application

        if not no_worker:
            start_worker()
        host, _, port = bind.rpartition(":")
        self.stdout.write(f"智慧党建平台已启动：http://{host or '127.0.0.1'}:{port}/  （环境：{settings.ENV}，按 Ctrl+C 停止）")
        Server().run()
