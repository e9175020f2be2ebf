"""Excel import at scale: 100,000 member rows with 5% bad rows. Prints figures; asserts only correctness.

  DANGJIAN_DATA_DIR=/tmp/dangjian-bench-import .venv/bin/python bench/bench_import.py --rows 100000
  (add DANGJIAN_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dangjian_bench_import for PostgreSQL)

The baseline is reading the same workbook with python-calamine alone, measured in the same run.
The poisoned rows are 2% bad checksums, 1% duplicate ID numbers, 1% unknown organisations and 1% impossible
dates; the run checks that the error report names exactly those rows, that the all-or-nothing mode would
write nothing, that keep-valid writes exactly the other 95%, and that importing the file again changes nothing.
"""

import argparse
import datetime as dt
import io
import os
import random
import resource
import threading
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
HEAD = ["姓名", "公民身份号码", "性别", "出生日期", "民族", "学历", "人员类别", "工作单位及职务", "入党日期",
        "转正日期", "所在党组织", "联系电话"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PssPeak(threading.Thread):
    """Peak of the proportional set size of this process and its worker processes together (shared
    copy-on-write pages are counted once), sampled every 0.2 s from /proc/*/smaps_rollup."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak_mb = 0.0
        self.running = True

    @staticmethod
    def pss_kb(pid) -> int:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                return next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
        except (OSError, StopIteration):
            return 0

    def run(self):
        me = os.getpid()
        while self.running:
            try:
                with open(f"/proc/{me}/task/{me}/children") as fh:
                    children = fh.read().split()
            except OSError:
                children = []
            total = self.pss_kb(me) + sum(self.pss_kb(pid) for pid in children)
            self.peak_mb = max(self.peak_mb, total / 1024)
            time.sleep(0.2)


def id_number(birth: dt.date, serial: int) -> str:
    from stdnum.cn import ric

    body = f"110101{birth:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")


def workbook(rows: int, branches: list[str], rng: random.Random):
    import xlsxwriter

    bad = rng.sample(range(rows), rows // 20)
    kinds = {}
    for index, row in enumerate(bad):
        share = index / len(bad)
        kinds[row] = "checksum" if share < 0.4 else "duplicate" if share < 0.6 else "org" if share < 0.8 else "date"
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet()
    for col, head in enumerate(HEAD):
        sheet.write_string(0, col, head)
    first_ids = []
    expected_bad = set()
    for n in range(rows):
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=n % 18000)
        number = id_number(birth, n // 18000)
        kind = kinds.get(n)
        joined, branch = f"{birth.year + 25}-07-01", branches[n % len(branches)]
        if kind == "checksum":
            number = number[:17] + ("0" if number[17] != "0" else "1")
        elif kind == "duplicate" and first_ids:
            number = first_ids[rng.randrange(len(first_ids))]
        elif kind == "org":
            branch = "NO-SUCH-ORG"
        elif kind == "date":
            joined = f"{birth.year + 25}-02-30"
        if kind:
            expected_bad.add(n + 2)
        elif len(first_ids) < 1000:
            first_ids.append(number)
        values = [f"党员{n}", number, "男" if int(number[16]) % 2 else "女", birth.isoformat(), "汉族", "大学本科",
                  "专业技术人员", "示范单位 职员", joined, f"{birth.year + 26}-07-01", branch, f"139{n:08d}"]
        for col, value in enumerate(values):
            sheet.write_string(n + 1, col, value)
    book.close()
    return buffer.getvalue(), expected_bad


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from python_calamine import CalamineWorkbook

    from dangjian.accounts.models import User
    from dangjian.exchange import actions
    from dangjian.exchange.models import ImportRow
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization

    call_command("migrate", verbosity=0)
    if not Organization.objects.exists():
        call_command("seed", members=100, verbosity=0)
    district = Organization.objects.get(code="D01")
    branches = list(Organization.objects.filter(path__startswith=district.path, org_type="branch")
                    .values_list("code", flat=True))
    actor = User.objects.get(username="demo_organizer")
    print(f"database: {connection.vendor}; importing under {district.code} ({len(branches)} branches); "
          f"RSS before: {rss_mb():.0f} MB")

    start = time.perf_counter()
    data, expected_bad = workbook(args.rows, branches, random.Random(1))
    print(f"workbook: {args.rows:,} rows, {len(data) / 1e6:.1f} MB, written in {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    baseline = time.perf_counter() - start

    before = Member.objects.count()
    memory = PssPeak()
    memory.start()
    start = time.perf_counter()
    job = actions.do_start_import(kind="members", file_name="bench.xlsx", data=data, root_org=district,
                                  actor=actor, keep_valid=False, commit=True, run_now=True)
    validate = time.perf_counter() - start
    reported = set(ImportRow.objects.filter(job=job, outcome="error").values_list("row_number", flat=True))
    all_or_nothing_wrote = Member.objects.count() - before

    start = time.perf_counter()
    job = actions.do_commit_import(job, actor=actor, keep_valid=True, run_now=True)
    commit = time.perf_counter() - start
    written = Member.objects.count() - before

    start = time.perf_counter()
    again = actions.do_start_import(kind="members", file_name="bench.xlsx", data=data, root_org=district,
                                    actor=actor, keep_valid=True, commit=True, run_now=True)
    reimport = time.perf_counter() - start

    good = args.rows - len(expected_bad)
    print(f"error rows expected {len(expected_bad):,}, reported {len(reported):,}, "
          f"missed {len(expected_bad - reported)}, false positives {len(reported - expected_bad)}")
    print(f"all-or-nothing with errors wrote {all_or_nothing_wrote} rows; keep-valid wrote {written:,} "
          f"(expected {good:,}); job: {job.state}; re-import: new {again.new_count}, updated "
          f"{again.updated_count}, unchanged {again.unchanged_count:,}")
    print()
    print(f"| Step ({args.rows:,} rows, {connection.vendor}) | Seconds | Rows/s | × calamine read |")
    print("|---|---|---|---|")
    for label, seconds in (("python-calamine read alone (baseline)", baseline),
                           ("upload checks + validate all rows + stage", validate),
                           ("commit the 95% valid rows", commit),
                           ("validate + commit", validate + commit),
                           ("re-import of the same file (0 changes)", reimport)):
        print(f"| {label} | {seconds:.1f} | {args.rows / seconds:,.0f} | {seconds / baseline:.1f} |")
    memory.running = False
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\npeak memory of the import, all its processes together (PSS): {memory.peak_mb:.0f} MB; "
          f"peak RSS of the importing process {rss_mb():.0f} MB, of the largest worker process {children:.0f} MB")


if __name__ == "__main__":
    main()
