"""The `dangjian` command: Django management with the platform's own verbs.

  dangjian demo              migrate, seed the demo organisation once, serve on http://127.0.0.1:8000
  dangjian serve             production server (gunicorn) and the background-job worker
  dangjian worker            the background-job worker alone (imports); resumes interrupted jobs
  dangjian import members FILE --org CODE --user NAME [--dry-run] [--keep-valid]
  dangjian import orgs FILE [--org CODE] --user NAME | resume JOB | template members|orgs OUT
  dangjian migrate | seed [--members N] | createadmin --role R --username U
  dangjian audit verify      verify the audit chain (exit 1 and the first bad record when broken)
  dangjian alerts evaluate [--on DATE] [--rule CODE]   run the warning rules (idempotent; nightly from cron)
  dangjian check             system checks (with --deploy in production)
  dangjian rotate-data-key   re-encrypt every sensitive field with a new SM4 key
Any other Django management command passes through (e.g. `dangjian shell`).
"""

from __future__ import annotations

import os
import sys

ALIASES = {"rotate-data-key": "rotate_data_key"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import execute_from_command_line

        from dangjian.core import crypto

        command = ALIASES.get(argv[0], argv[0])
        if command in ("serve", "demo", "rotate_data_key", "seed", "check", "worker", "import"):
            crypto.provider()  # fail early and clearly when keys are missing
        rest = argv[1:]
        if command == "check" and settings.PRODUCTION and "--deploy" not in rest:
            rest = ["--deploy", "--fail-level", "WARNING", *rest]
        execute_from_command_line(["dangjian", command, *rest])
    except ImproperlyConfigured as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
