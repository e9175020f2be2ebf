"""The cockpit of a large 党委. Prints figures; asserts nothing.

  DANGJIAN_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/dangjian_bench_cockpit \
  DANGJIAN_DATA_DIR=/tmp/dangjian-bench-cockpit .venv/bin/python bench/bench_cockpit.py --branches 3000

Builds (once) a 党委 with `--committees` working committees and `--branches` branches below them, and the summaries a
refresh would store for 13 month-ends (every indicator and breakdown for the newest date, totals for the others),
then times the cockpit API and the big-screen page of the 党委 and of one working committee, logged in as an
organisation department account. The baseline is a trivial view measured in the same run.
"""

import argparse
import datetime as dt
import os
import random
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")

CODE = "BCP"  # prefix of the organisation codes this benchmark creates


def timed(fn, n):
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def build(args):
    from dangjian.accounts import actions as account_actions
    from dangjian.analytics.catalog import INDICATORS
    from dangjian.analytics.models import IndicatorValue
    from dangjian.cockpit.queries import month_end
    from dangjian.orgs.models import Organization

    rng = random.Random(7)
    top = Organization.objects.add_root(instance=Organization(code=f"{CODE}0", name="中共基准测试党委", org_type="committee"))
    orgs = [top]
    per = max(1, args.branches // args.committees)
    made = 0
    for c in range(args.committees):
        committee = Organization.objects.add_child(
            Organization.objects.get(pk=top.pk),
            instance=Organization(code=f"{CODE}C{c}", name=f"中共基准测试第{c}工委", org_type="working_committee"))
        orgs.append(committee)
        for b in range(per if c < args.committees - 1 else args.branches - made):
            orgs.append(Organization.objects.add_child(
                Organization.objects.get(pk=committee.pk),
                instance=Organization(code=f"{CODE}B{c}_{b}", name=f"中共基准测试第{c}工委第{b}支部",
                                      org_type="branch")))
            made += 1
    as_of = dt.date(2026, 10, 31)
    rows = []
    for org in orgs:
        for back in range(13):
            day = month_end(as_of, back)
            for indicator in INDICATORS:
                value = rng.uniform(0, 100) if indicator.kind != "ratio" else rng.random()
                rows.append(IndicatorValue(as_of=day, org=org, code=indicator.code, key="", value=value))
                if back == 0:
                    rows += [IndicatorValue(as_of=day, org=org, code=indicator.code, key=key, value=rng.randint(0, 50))
                             for key in indicator.keys]
        if len(rows) > 50_000:
            IndicatorValue.objects.bulk_create(rows, batch_size=5000)
            rows = []
    IndicatorValue.objects.bulk_create(rows, batch_size=5000)
    user = account_actions.do_create_account(username="bench_cockpit", password="Bench-Passw0rd!x",
                                             display_name="bench_cockpit")
    account_actions.do_assign_role(user, role="org_department", org=top)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--branches", type=int, default=3000)
    parser.add_argument("--committees", type=int, default=30)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dangjian.accounts.models import User
    from dangjian.analytics.models import IndicatorValue
    from dangjian.orgs.models import Organization

    call_command("migrate", verbosity=0)
    if not Organization.objects.filter(code=f"{CODE}0").exists():
        start = time.perf_counter()
        build(args)
        print(f"built the test 党委 on {connection.vendor}: {time.perf_counter() - start:.1f} s")
    top = Organization.objects.get(code=f"{CODE}0")
    committee = Organization.objects.get(code=f"{CODE}C0")
    below = Organization.objects.filter(path__startswith=top.path).count()
    values = IndicatorValue.objects.filter(org__path__startswith=top.path).count()
    print(f"database: {connection.vendor}; the 党委 has {below:,} organisations and {values:,} stored indicator values")

    client = Client()
    client.force_login(User.objects.get(username="bench_cockpit"))
    rows = [("baseline GET /healthz", *timed(lambda: client.get("/healthz"), args.requests))]
    for label, org in (("党委", top), ("工委 C0", committee)):
        for url in (f"/api/v1/cockpit/orgs/{org.pk}/", f"/cockpit/orgs/{org.pk}/",
                    f"/api/v1/cockpit/orgs/{org.pk}/rankings/?by=year&limit=100"):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            rows.append((f"{label} GET {url} ({len(captured)} queries, {len(response.content) / 1024:.0f} KiB)",
                         *timed(lambda u=url: client.get(u), args.requests)))
    width = max(len(r[0]) for r in rows)
    print(f"{'':{width}}  median ms   p95 ms")
    for name, median, p95 in rows:
        print(f"{name:{width}}  {median:9.1f}  {p95:7.1f}")


if __name__ == "__main__":
    main()
