"""Counts as of a past day (effective-dated tree and memberships) against the present-day count. Prints figures;
asserts only that the historical and the present answers differ where a restructuring says they must.

  DANGJIAN_DATA_DIR=/tmp/dangjian-bench-asof .venv/bin/python bench/bench_as_of.py --members 200000
  (add DANGJIAN_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dangjian_bench_asof for PostgreSQL)

Seeds the demo organisation when the database is empty, then restructures it on 2026-01-01: two branches of one
district are merged, and one street is moved to another district. The baseline is the present-day subtree count
(`subtree_member_count`, one prefix scan on the live tables), measured in the same run.
"""

import argparse
import datetime as dt
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")


def timed(fn, n):
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from dangjian.accounts.models import User
    from dangjian.members.history import counts_by_org_on, counts_on
    from dangjian.members.models import Member, MemberPeriod
    from dangjian.orgs import actions
    from dangjian.orgs.models import Organization, OrgVersion
    from dangjian.orgs.queries import as_of, subtree_member_count

    call_command("migrate", verbosity=0)
    if not Organization.objects.exists():
        start = time.perf_counter()
        call_command("seed", members=args.members)
        print(f"seed {args.members:,} members on {connection.vendor}: {time.perf_counter() - start:.1f} s")
    root = Organization.objects.get(depth=1)
    actor = User.objects.filter(username="bench_city_organizer").first()
    if actor is None:  # the city's organisation department: the restructuring spans two districts
        from dangjian.accounts import actions as account_actions

        actor = account_actions.do_create_account(username="bench_city_organizer", password="Bench-2026-as-of!",
                                                  display_name="市委组织部")
        account_actions.do_assign_role(actor, role="org_department", org=root)
        actor.forget_assignments()
    before, after = dt.date(2025, 12, 31), dt.date(2026, 1, 1)
    districts = list(Organization.objects.filter(depth=2).order_by("path")[:2])
    moved_before = OrgVersion.objects.filter(valid_to=after, parent=districts[0], org_type="working_committee").first()
    street = (moved_before.org if moved_before else
              Organization.objects.get_children(districts[0]).filter(org_type="working_committee").first())
    start = time.perf_counter()
    if not OrgVersion.objects.filter(valid_from=after, status="dissolved").exists():
        branches = list(Organization.objects.filter(path__startswith=districts[0].path, org_type="branch",
                                                    status="active").order_by("path")[:2])
        actions.do_merge_organizations(branches[1], into=branches[0], on=after, reason="合并", actor=actor)
    if not street.path.startswith(districts[1].path):
        actions.do_move_organization(street, new_parent=districts[1], actor=actor, on=after)
        print(f"restructuring (merge 2 branches, move 1 street with its subtree): {time.perf_counter() - start:.2f} s")
    street = Organization.objects.get(pk=street.pk)
    print(f"database: {connection.vendor}, {Organization.objects.count():,} organisations, "
          f"{Member.objects.count():,} members, {OrgVersion.objects.count():,} organisation versions, "
          f"{MemberPeriod.objects.count():,} member periods")

    from dangjian.orgs.history import subtree_on

    assert street.pk in subtree_on(districts[0], before).values_list("org_id", flat=True)
    assert street.pk in subtree_on(districts[1], after).values_list("org_id", flat=True)
    assert street.pk not in subtree_on(districts[0], after).values_list("org_id", flat=True)
    moved = counts_on(street, before)["total"]
    print(f"the moved street had {moved:,} members on {before}: district 1 counts "
          f"{counts_on(districts[0], before)['total']:,} then, {counts_on(districts[0], after)['total']:,} after; "
          f"district 2 {counts_on(districts[1], before)['total']:,} → {counts_on(districts[1], after)['total']:,}")

    rows = [("baseline: present-day subtree count of the root", *timed(lambda: subtree_member_count(root), args.repeat))]
    rows.append((f"counts_on(root, {before})", *timed(lambda: counts_on(root, before), args.repeat)))
    rows.append((f"counts_on(root, {after})", *timed(lambda: counts_on(root, after), args.repeat)))
    rows.append((f"counts_on(district 1, {before})", *timed(lambda: counts_on(districts[0], before), args.repeat)))
    rows.append((f"counts_by_org_on(root, {before}) (every organisation)",
                 *timed(lambda: counts_by_org_on(root, before), args.repeat)))
    rows.append((f"as_of(district 1, {before}) (the history page)", *timed(lambda: as_of(districts[0], before),
                                                                          args.repeat)))
    baseline = rows[0][1]
    width = max(len(r[0]) for r in rows)
    print(f"{'query':<{width}}  median ms    p95 ms   × baseline")
    for label, median, p95 in rows:
        print(f"{label:<{width}}  {median:9.1f}  {p95:8.1f}   {median / baseline:8.1f}")


if __name__ == "__main__":
    main()
