from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "以生产级 WSGI 服务器（gunicorn）运行平台"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=3)

    def handle(self, *args, bind, workers, **options):
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

        host, _, port = bind.rpartition(":")
        self.stdout.write(f"智慧党建平台已启动：http://{host or '127.0.0.1'}:{port}/  （环境：{settings.ENV}，按 Ctrl+C 停止）")
        Server().run()
