"""The warning engine at scale. Prints figures; asserts nothing.

  DANGJIAN_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dangjian_bench_alerts \
  DANGJIAN_DATA_DIR=/tmp/dangjian-bench-alerts .venv/bin/python bench/bench_alerts.py --members 200000

Seeds the demo first when the database is empty. Prints the time of each rule alone (collecting its hits), of a
first full evaluation (which opens the findings and tasks), and of the next night's (the same problems found
again: nothing new is opened, every finding is marked seen). `--secretaries` first gives every branch a secretary
account (so each new task also posts an inbox message); `--reset` empties the warning tables first (TRUNCATE on
PostgreSQL), so the first evaluation is a first one again. The baseline, measured in the same run, reads every
member row once (id, organisation, join date, category) into Python, so the ratios compare like with like on this
machine.
"""

import argparse
import datetime as dt
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--on", default=dt.date.today().isoformat())
    parser.add_argument("--seed-only", action="store_true", help="seed the database and stop")
    parser.add_argument("--skip-rules", action="store_true", help="skip the timing of each rule alone")
    parser.add_argument("--reset", action="store_true",
                        help="delete earlier findings and tasks first, so the first evaluation is a first one again")
    parser.add_argument("--secretaries", action="store_true",
                        help="give every branch without one a secretary account first (inbox rows for every task)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from dangjian.alerts.actions import do_run_evaluation
    from dangjian.alerts.models import Finding, RectificationTask
    from dangjian.alerts.rules import REGISTRY
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization

    on = dt.date.fromisoformat(args.on)
    call_command("migrate", verbosity=0)
    if not Organization.objects.exists():
        seconds, _ = timed(lambda: call_command("seed", members=args.members))
        print(f"seed {args.members:,} members on {connection.vendor}: {seconds:.1f} s")
    if args.seed_only:
        return
    if args.secretaries:
        seconds, made = timed(add_secretaries)
        print(f"secretary accounts added: {made:,} ({seconds:.1f} s)")
    if args.reset:
        reset()
    print(f"database: {connection.vendor}, {Organization.objects.count():,} organisations, "
          f"{Member.objects.count():,} members; evaluation date {on}")
    baseline, _ = timed(lambda: list(Member.objects.values_list("pk", "org_id", "joined_on", "category")))
    print(f"baseline (every member row read once): {baseline:.2f} s")
    for code, rule in ({} if args.skip_rules else REGISTRY).items():
        seconds, hits = timed(lambda: rule.evaluate(on))
        print(f"  rule {code:<36} {len(hits):>8,} hits {seconds:7.2f} s ({seconds / baseline:5.1f}× baseline)")
    first, run = timed(lambda: do_run_evaluation(on))
    print(f"first evaluation, all rules: {first:.2f} s ({first / baseline:.1f}× baseline); "
          f"{run.opened:,} findings, {run.tasks_opened:,} tasks opened")
    second, run = timed(lambda: do_run_evaluation(on + dt.timedelta(days=1)))
    print(f"next night's evaluation (idempotent): {second:.2f} s ({second / baseline:.1f}× baseline); "
          f"{run.opened} new findings, {run.tasks_opened} new tasks; "
          f"{Finding.objects.count():,} findings and {RectificationTask.objects.count():,} tasks in all")


def reset():
    from django.db import connection

    from dangjian.alerts.models import Evaluation, Finding, InboxMessage, RectificationTask, TaskStep

    models = (InboxMessage, TaskStep, RectificationTask, Finding, Evaluation)
    if connection.vendor == "postgresql":  # DELETE of a million rows takes minutes and leaves dead tuples
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models))
    else:
        for model in models:
            model.objects.all().delete()


def add_secretaries() -> int:
    """One active secretary account for every branch that has none (bench data only: unusable passwords)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from dangjian.accounts.models import RoleAssignment
    from dangjian.accounts.roles import ROLES, RoleName
    from dangjian.core import bulk
    from dangjian.orgs.choices import BRANCH_TYPES
    from dangjian.orgs.models import Organization

    User = get_user_model()
    held = RoleAssignment.objects.filter(role=RoleName.SECRETARY, revoked_at__isnull=True).values("org_id")
    branches = list(Organization.objects.filter(org_type__in=BRANCH_TYPES).exclude(pk__in=held)
                    .values_list("pk", flat=True))
    if not branches:
        return 0
    now, password = timezone.now(), make_password(None)
    with transaction.atomic():
        bulk.insert_dicts(User, [{"username": f"bench_sec_{pk}", "password": password, "is_active": True,
                                  "date_joined": now} for pk in branches])
        users = dict(User.objects.filter(username__startswith="bench_sec_").values_list("username", "pk"))
        bulk.insert_dicts(RoleAssignment, [{"user_id": users[f"bench_sec_{pk}"], "role": RoleName.SECRETARY,
                                            "org_id": pk, "scope": ROLES[RoleName.SECRETARY].default_scope,
                                            "granted_at": now} for pk in branches])
    return len(branches)


if __name__ == "__main__":
    main()
