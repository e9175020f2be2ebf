"""Member list and subtree counts at scale. Prints figures; asserts nothing.

  DANGJIAN_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dangjian_bench \
  DANGJIAN_DATA_DIR=/tmp/dangjian-bench .venv/bin/python bench/bench_member_list.py --members 1000000

Seeds the database first when it is empty (and prints how long that took). Each page is requested
`--requests` times in-process through Django's test client, logged in as the demo account; the
baseline is a trivial view measured in the same run, so ratios compare like with like.
"""

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")


def timed(fn, n):
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from dangjian.accounts.models import User
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization
    from dangjian.orgs.queries import subtree_member_count, subtree_member_counts

    call_command("migrate", verbosity=0)
    if not Organization.objects.exists():
        start = time.perf_counter()
        call_command("seed", members=args.members)
        print(f"seed {args.members:,} members on {connection.vendor}: {time.perf_counter() - start:.1f} s")
    orgs, members = Organization.objects.count(), Member.objects.count()
    print(f"database: {connection.vendor}, {orgs:,} organisations, {members:,} members")

    rows = []

    def client_for(username):
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    base = client_for("demo_secretary")
    rows.append(("baseline GET /healthz", *timed(lambda: base.get("/healthz"), args.requests)))
    for username in ("demo_secretary", "demo_organizer"):
        client = client_for(username)
        scope = Member.objects.restrict(User.objects.get(username=username), "member.view").count()
        for url in ("/members/", "/api/v1/members/"):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            rows.append((f"{username} ({scope:,} in scope) GET {url} page 1",
                         *timed(lambda c=client, u=url: c.get(u), args.requests)))

    root = Organization.objects.get(depth=1)
    district = Organization.objects.get(code="D01")
    for label, org in (("市委 (root)", root), ("区委 D01", district)):
        rows.append((f"subtree_member_counts per child of {label}", *timed(lambda o=org: subtree_member_counts(o), 20)))
        rows.append((f"subtree_member_count of {label}", *timed(lambda o=org: subtree_member_count(o), 20)))

    baseline = rows[0][1]
    print(f"\n{'measurement':<70} {'median ms':>10} {'p95 ms':>10} {'× baseline':>11}")
    for name, median, p95 in rows:
        print(f"{name:<70} {median:>10.2f} {p95:>10.2f} {median / baseline:>11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
