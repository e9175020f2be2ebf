"""The annual statistics tables (党内统计年报) on seeded data. Prints figures: the time and the number of SQL
statements for the whole report of the root, a district and a branch, and checks the balance start + in − out
= end at scale (the number of statements must not grow with the members: no per-member query).

  DANGJIAN_DATA_DIR=/tmp/dangjian-bench-stats .venv/bin/python bench/bench_statistics.py --members 200000
  (add DANGJIAN_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dangjian_bench_stats for PostgreSQL)

Seeds the demo organisation when the database is empty (the seed's status changes, admissions and dates give
the year its movements), and restructures it on 2025-07-01 (one street moved to another district) so the year
has a restructuring too.
"""

import argparse
import datetime as dt
import io
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--on", default="2025-12-31")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dangjian.accounts.models import User
    from dangjian.exchange.statistics.report import annual_report
    from dangjian.exchange.statistics.workbook import write_report
    from dangjian.members.models import Member, MemberPeriod
    from dangjian.orgs import actions
    from dangjian.orgs.models import Organization, OrgVersion

    call_command("migrate", verbosity=0)
    if not Organization.objects.exists():
        start = time.perf_counter()
        call_command("seed", members=args.members)
        print(f"seed {args.members:,} members on {connection.vendor}: {time.perf_counter() - start:.1f} s")
    on = dt.date.fromisoformat(args.on)
    root = Organization.objects.get(depth=1)
    districts = list(Organization.objects.filter(depth=2).order_by("path")[:2])
    moved_on = dt.date(on.year, 7, 1)
    if len(districts) == 2 and not OrgVersion.objects.filter(valid_from=moved_on).exists():
        from dangjian.accounts import actions as account_actions

        actor = User.objects.filter(username="bench_stats_organizer").first()
        if actor is None:
            actor = account_actions.do_create_account(username="bench_stats_organizer", password="Bench-2026-stats!",
                                                      display_name="市委组织部")
            account_actions.do_assign_role(actor, role="org_department", org=root)
            actor.forget_assignments()
        street = Organization.objects.get_children(districts[0]).filter(org_type="working_committee").first()
        if street is not None:
            start = time.perf_counter()
            actions.do_move_organization(street, new_parent=districts[1], actor=actor, on=moved_on)
            print(f"restructuring on {moved_on} (one street moved): {time.perf_counter() - start:.2f} s")
    print(f"database: {connection.vendor}, {Organization.objects.count():,} organisations, "
          f"{Member.objects.count():,} members, {OrgVersion.objects.count():,} organisation versions, "
          f"{MemberPeriod.objects.count():,} member periods")
    branch = (Organization.objects.filter(org_type="branch", members__isnull=False).order_by("path").first())
    for label, org in (("root (whole tree)", root), ("district", districts[0]), ("branch", branch)):
        if org is None:
            continue
        samples = []
        for _ in range(args.repeat):
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                report = annual_report(org, on)
                samples.append(time.perf_counter() - start)
        change = {r.label: r.values[0] for r in report.table("membership_change").rows}
        start_n, end_n = change["上年底（年初）党员数"], change["本年底党员数"]
        arrived, departed = change["本年增加党员"], change["本年减少党员"]
        buffer = io.BytesIO()
        t0 = time.perf_counter()
        write_report(report, buffer)
        xlsx = time.perf_counter() - t0
        print(f"{label:18} {report.org_name[:20]:20} tables {statistics.median(samples):6.2f} s median of "
              f"{args.repeat} ({len(queries)} SQL statements); workbook {xlsx * 1000:.0f} ms, "
              f"{len(buffer.getvalue()) // 1024} KB; start {start_n:,} + {arrived:,} − {departed:,} = {end_n:,} "
              f"({'balanced' if start_n + arrived - departed == end_n else 'NOT BALANCED'})")


if __name__ == "__main__":
    main()
