"""Running the platform's own commands in a separate process against the test database (import as `processes`)."""
from __future__ import annotations

import os
import subprocess
import sys

from django.db import connection


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{s['NAME']}"


def env(settings, data_dir, **extra) -> dict:
    """The environment of a `dangjian` process that shares this test's database, keys and import folder. Its worker
    schedules no nightly evaluation (a test that wants one passes DANGJIAN_ALERTS_NIGHTLY_AT)."""
    return {**os.environ, "DANGJIAN_DATABASE_URL": database_url(), "DANGJIAN_DATA_DIR": str(data_dir),
            "DANGJIAN_KEY_FILE": str(settings.KEY_FILE), "DANGJIAN_ALERTS_NIGHTLY_AT": "off",
            **{k: str(v) for k, v in extra.items()}}


def dangjian(args, settings, data_dir, **extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dangjian.cli", *args], env=env(settings, data_dir, **extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
