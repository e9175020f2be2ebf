"""Benchmark of the indicator refresh.

    python bench/analytics.py --scale S [--database URL] [--no-spark] [--no-postgres] [--regenerate]

Generates (or reuses) a dataset in PostgreSQL at scale S (S=1: 1,000,000 members, ~52,000 organisations, 20,000,000
behaviour facts; also 3 months of dues bills per member, 90 % paid, 8 meetings per branch, warnings in 5 % of the
branches, a committee of three in four branches in five and last year's 民主评议 decided in three in four). Then, as
a deployment lives:

1. the first refresh (as of yesterday) from an empty analytics file: everything extracted, every figure written;
2. a day's changes (a day's share of the facts, some payments, member edits and moves);
3. the nightly refresh (as of today): extract + compute + store as `dangjian analytics refresh` does, after a
   checkpoint (as a day would have brought).

It prints each phase of both, the time of each indicator beside a hand-written DuckDB SQL query of the same figure in
the same run (both materialise their rows in DuckDB; the figures are checked equal), then the compute time on
PostgreSQL (the OLTP tables directly) and on Spark (local mode). The dataset is put back as generated at the start
and the end. The last line is `TOTAL <seconds> s; RATIO <x> vs hand-written SQL`: TOTAL is the nightly refresh
(all its phases), x its compute time over the hand-written queries' time."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

MEMBERS_AT_1 = 1_000_000
ORGS_AT_1 = 52_000
FACTS_AT_1 = 20_000_000


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scale", type=float, default=0.1)
    p.add_argument("--database", help="PostgreSQL URL (default postgresql://postgres@127.0.0.1:5432/dangjian_bench_s<S>)")
    p.add_argument("--no-spark", action="store_true")
    p.add_argument("--no-postgres", action="store_true")
    p.add_argument("--regenerate", action="store_true", help="drop and generate the dataset again")
    return p.parse_args()


def setup(args):
    import psycopg

    tag = f"{args.scale:g}".replace(".", "_")
    url = args.database or f"postgresql://postgres@127.0.0.1:5432/dangjian_bench_s{tag}"
    server, name = url.rsplit("/", 1)
    with psycopg.connect(server + "/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and args.regenerate:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    os.environ["DANGJIAN_DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
    os.environ.setdefault("DANGJIAN_DATA_DIR", str(ROOT / "var" / f"bench-analytics-s{tag}"))
    os.environ.setdefault("DANGJIAN_DATA_KEY", "0" * 32)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return url


def base36(n: int, width: int = 4) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = digits[r] + out
    return out.rjust(width, "0")


def change_log(cursor, *, enabled: bool) -> None:
    """Switch the analytics change log's triggers (migration analytics 0005) off for a bulk load, or back on."""
    import importlib

    log = importlib.import_module("dangjian.analytics.migrations.0005_change_log")
    for table in log.TABLES:
        for event in log.TRIGGERS:
            cursor.execute(f"ALTER TABLE {table} {'ENABLE ALWAYS' if enabled else 'DISABLE'} "
                           f"TRIGGER analytics_change_{event}")


def generate(scale: float) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from dangjian.members.periods import add_months
    from dangjian.orgs.models import Organization

    orgs_wanted = max(20, int(ORGS_AT_1 * scale))
    if Organization.objects.count() >= orgs_wanted:
        print(f"dataset: reused ({Organization.objects.count():,} organisations)")
        governance()
        return
    began = time.perf_counter()
    members, facts = max(100, int(MEMBERS_AT_1 * scale)), max(1000, int(FACTS_AT_1 * scale))
    # The tree: one 市委, districts, ten 街道 per district, branches spread under the 街道.
    districts = max(2, round(40 * scale ** 0.5))
    streets = districts * 10
    branches = orgs_wanted - 1 - districts - streets
    rows, next_id = [], 1
    today = dt.date.today()

    def org(path, depth, numchild, kind, n):
        nonlocal next_id
        rows.append((next_id, path, depth, numchild, f"组织{n}", f"BENCH{n:07d}", kind))
        next_id += 1
        return next_id - 1

    org("0001", 1, districts, "committee", 0)
    per_street = [branches // streets + (1 if i < branches % streets else 0) for i in range(streets)]
    street_paths = []
    for d in range(districts):
        dpath = "0001" + base36(d + 1)
        org(dpath, 2, 10, "committee", len(rows))
        for s in range(10):
            spath = dpath + base36(s + 1)
            street_paths.append(spath)
            org(spath, 3, per_street[d * 10 + s], "working_committee", len(rows))
    first_branch = next_id
    for i, spath in enumerate(street_paths):
        for b in range(per_street[i]):
            org(spath + base36(b + 1), 4, 0, "branch", len(rows))
    with transaction.atomic(), connection.cursor() as cursor:
        change_log(cursor, enabled=False)  # a bulk load, extracted whole by the first refresh
        with cursor.cursor.copy("COPY orgs_organization (id, created_at, updated_at, version, path, depth, numchild, "
                                "name, short_name, code, org_type, unit_relation, founded_on, contact_name, "
                                "contact_phone, sort_order, status, dissolved_on, dissolved_reason) FROM STDIN") as copy:
            now = dt.datetime.now(dt.UTC)
            for i, path, depth, numchild, name, code, kind in rows:
                copy.write_row((i, now, now, 1, path, depth, numchild, name, "", code, kind, "", None, "", "", 0,
                                "active", None, ""))
        cursor.execute("SELECT setval(pg_get_serial_sequence('orgs_organization', 'id'), %s)", [next_id])
        user = get_user_model().objects.create(username=f"bench{int(time.time())}", display_name="bench")
        params = {"m": members, "f": facts, "b0": first_branch, "nb": branches, "today": today, "u": user.pk}
        cursor.execute("""
            INSERT INTO members_member (id, created_at, updated_at, version, name, name_initials, gender, ethnicity,
                id_number, id_number_index, birth_date, native_place, education, degree, occupation_category,
                work_unit_and_post, joined_on, converted_on, category, phone, address, is_mobile, lost_contact, status,
                status_reason, org_id)
            SELECT g, now(), now(), 1, '党员' || g, '', CASE WHEN g % 3 = 0 THEN 'female' ELSE 'male' END,
                CASE WHEN g % 13 = 0 THEN '回族' ELSE '汉族' END, 'x', 'bench-' || g,
                date '1940-01-01' + (g::bigint * 7919 % 29000)::int, '',
                (ARRAY['postgraduate','undergraduate','junior_college','secondary_vocational','high_school',
                       'middle_school_or_below',''])[1 + g % 7], 'none',
                (ARRAY['worker','farmer','professional','manager','official','student','other','retired'])[1 + g % 8],
                '', least(date '1940-01-01' + (g::bigint * 7919 % 29000)::int + 6600 + g % 9000, %(today)s - 30),
                CASE WHEN g % 20 = 0 THEN NULL
                     ELSE least(date '1940-01-01' + (g::bigint * 7919 % 29000)::int + 6600 + g % 9000, %(today)s - 30) + 365 END,
                CASE WHEN g % 20 = 0 THEN 'probationary' ELSE 'full' END, '', '', false, false, 'normal', '',
                %(b0)s + g %% %(nb)s
            FROM generate_series(1, %(m)s) g""".replace("% 3", "%% 3").replace("% 13", "%% 13")
                       .replace("% 29000", "%% 29000").replace("% 7]", "%% 7]").replace("% 8]", "%% 8]")
                       .replace("% 9000", "%% 9000").replace("% 20", "%% 20"), params)
        cursor.execute("SELECT setval(pg_get_serial_sequence('members_member', 'id'), %(m)s)", params)
        cursor.execute("INSERT INTO members_memberperiod (status, valid_from, valid_to, member_id, org_id) "
                       "SELECT 'normal', NULL, NULL, id, org_id FROM members_member")
        kinds = "ARRAY['attendance','attendance','check_in','study','dues_payment','login','login','login'," \
                "'task_step','recruitment_step']"
        cursor.execute(f"""
            INSERT INTO analytics_fact (kind, "on", at, quantity, ref, detail, member_id, org_id)
            SELECT ({kinds})[1 + g %% 10], %(today)s - (g * 31 %% 420),
                   (%(today)s - (g * 31 %% 420))::timestamp + interval '12 hours',
                   CASE WHEN g %% 10 = 3 THEN 2 ELSE 1 END, '', '{{}}', 1 + (g * 7) %% %(m)s,
                   %(b0)s + (1 + (g * 7) %% %(m)s) %% %(nb)s
            FROM generate_series(1, %(f)s) g""", params)
        cursor.execute("""
            INSERT INTO dues_duesstandard (created_at, updated_at, version, effective_from, category, base_kind,
                monthly_amount, explanation, status, declared_by_id, member_id)
            SELECT now(), now(), 1, date '2020-01-01', 'employed', 'monthly', 20 + id %% 30, '', 'confirmed',
                   %(u)s, id FROM members_member""", params)
        for back in range(3):
            month = add_months(today.replace(day=1), -back)
            cursor.execute("""
                INSERT INTO dues_duesbill (created_at, updated_at, version, month, amount, member_id, org_id,
                    standard_id)
                SELECT %(month)s::timestamp, %(month)s::timestamp, 1, %(month)s, s.monthly_amount, s.member_id,
                       m.org_id, s.id
                FROM dues_duesstandard s JOIN members_member m ON m.id = s.member_id""", {**params, "month": month})
        cursor.execute("""
            INSERT INTO dues_duespayment (kind, amount, method, paid_by, paid_on, idempotency_key, external_ref,
                for_central, active, recorded_at, reversal_reason, bill_id, member_id, recorded_by_id)
            SELECT 'regular', amount, 'cash', '', month + 5, 'bench-' || id, '', false, true,
                   (month + 5)::timestamp + interval '12 hours', '', id,
                   member_id, %(u)s
            FROM dues_duesbill WHERE id %% 10 <> 0 AND month + 5 <= %(today)s""", params)
        cursor.execute("""
            INSERT INTO orglife_meeting (created_at, updated_at, version, kind, also_counts_as, topic, starts_at,
                ends_at, place, state, minutes, decisions, study_hours, review_note, checkin_key, created_by_id, org_id)
            SELECT now(), now(), 1,
                   (ARRAY['theme_day','committee_meeting','general_meeting','party_lecture'])[1 + k %% 4],
                   CASE WHEN k %% 4 = 0 THEN '["party_lecture"]'::jsonb ELSE '[]'::jsonb END, '学习',
                   (%(today)s - 15 - k * 45)::timestamp + interval '1 hour',
                   (%(today)s - 15 - k * 45)::timestamp + interval '3 hours', '', 'held', '', '', 2, '',
                   'k' || o.id || '-' || k, %(u)s, o.id
            FROM orgs_organization o CROSS JOIN generate_series(0, 7) k
            WHERE o.org_type = 'branch' AND (o.id + k) %% 5 <> 0""", params)
        cursor.execute("""
            INSERT INTO alerts_finding (key, rule, level, message, citation, evidence, digest, first_seen, last_seen,
                resolved_on, recurrences, org_id)
            SELECT 'bench-' || id, 'dues_arrears', CASE WHEN id %% 2 = 0 THEN 'red' ELSE 'yellow' END, '', '',
                   '{}', '', %(today)s - 30, %(today)s, NULL, 0, id
            FROM orgs_organization WHERE org_type = 'branch' AND id %% 20 = 0""", params)
        cursor.execute("ANALYZE")
    with connection.cursor() as cursor:  # after the commit: no foreign-key checks pending on the tables
        change_log(cursor, enabled=True)
    governance()
    print(f"dataset: generated {len(rows):,} organisations, {members:,} members, {facts:,} facts "
          f"in {time.perf_counter() - began:.1f} s")


def governance() -> None:
    """Committees and appraisals (added to a dataset generated without them): four branches in five have a
    committee of three (one in ten of those seated 100 days ago, so part of the year owes no 支委会), and three in
    four decided last year's 民主评议党员."""
    from django.db import connection, transaction

    from dangjian.orgs.models import CommitteeMember

    if CommitteeMember.objects.exists():
        return
    today = dt.date.today()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("""
            INSERT INTO orgs_committeemember (created_at, updated_at, version, org_id, term_id, member_id, position,
                started_on, ended_on, end_reason, source, election_id, approved_on, approval_document)
            SELECT now(), now(), 1, org_id, NULL, id,
                   (ARRAY['secretary','organization_officer','publicity_officer'])[rn],
                   CASE WHEN org_id %% 10 = 0 THEN %(today)s - 100 ELSE %(today)s - 1100 END, NULL, '', 'recorded',
                   NULL, NULL, ''
            FROM (SELECT id, org_id, row_number() OVER (PARTITION BY org_id ORDER BY id) rn FROM members_member) m
            WHERE rn <= 3 AND org_id %% 5 <> 0""", {"today": today})
        cursor.execute("""
            INSERT INTO orglife_appraisal (created_at, updated_at, version, org_id, year, meeting_id, state,
                decided_on, created_by_id)
            SELECT now(), now(), 1, id, %(year)s, NULL, 'decided', make_date(%(year)s, 12, 20),
                   (SELECT min(id) FROM accounts_user)
            FROM orgs_organization WHERE org_type = 'branch' AND id %% 4 <> 0""", {"year": today.year - 1})
        cursor.execute("ANALYZE orgs_committeemember")
        cursor.execute("ANALYZE orglife_appraisal")


# -- hand-written DuckDB SQL of the same figures ------------------------------------------------------------------------

def hand_written(p, max_depth: int) -> dict[str, str]:
    """Each indicator as one SQL statement written by hand over the staged tables (org_id, key, value, num, den)."""
    from dangjian.analytics.indicators import AGE_LIMITS, JOIN_STARTS, WINDOW_MONTHS, month_start, spans
    from dangjian.members.periods import add_months, add_years

    d = f"DATE '{p.as_of}'"
    levels = " UNION ALL ".join(
        f"SELECT o.id AS org_id, a.id AS anc_id FROM orgs_organization o JOIN orgs_organization a "
        f"ON a.depth = {i} AND a.path = substr(o.path, 1, {p.steplen * i}) WHERE o.depth >= {i}"
        for i in range(1, max_depth + 1))
    closure = f"closure AS ({levels})"
    roll = (f"roll AS (SELECT p.member_id, p.org_id, m.* FROM members_memberperiod p JOIN members_member m "
            f"ON m.id = p.member_id WHERE p.status = 'normal' AND (p.valid_from IS NULL OR p.valid_from <= {d}) "
            f"AND (p.valid_to IS NULL OR p.valid_to > {d}) AND m.joined_on <= {d})")
    living = (f"living AS (SELECT id AS org_id FROM orgs_organization WHERE (founded_on IS NULL OR founded_on <= {d}) "
              f"AND (dissolved_on IS NULL OR dissolved_on > {d}))")

    def counted(key_sql):
        return (f"WITH {closure}, {roll}, k AS (SELECT org_id, {key_sql} AS key FROM roll), "
                f"g AS (SELECT org_id, key, count(*) n FROM k WHERE key IS NOT NULL AND key <> '' GROUP BY ALL) "
                f"SELECT c.anc_id, g.key, sum(n)::DOUBLE, NULL::DOUBLE, NULL::DOUBLE FROM g JOIN closure c USING (org_id) "
                f"GROUP BY ALL")

    ages = []
    for key, (low, high) in AGE_LIMITS.items():
        cond = ["TRUE"]
        if low is not None:
            cond.append(f"birth_date <= DATE '{add_years(p.as_of, -low)}'")
        if high is not None:
            cond.append(f"birth_date > DATE '{add_years(p.as_of, -(high + 1))}'")
        ages.append(f"WHEN {' AND '.join(cond)} THEN '{key}'")
    keys = list(JOIN_STARTS)
    joins = " ".join(f"WHEN joined_on < DATE '{JOIN_STARTS[keys[i + 1]]}' THEN '{keys[i]}'" for i in range(len(keys) - 1))
    window = f"DATE '{add_months(p.as_of, -WINDOW_MONTHS)}'"
    points = " UNION ALL ".join(f"SELECT '{k}' kind, {per} per, {cap} cap, {str(k == 'study').upper()} byq"
                                for k, (per, cap) in p.points.items())
    scores = (f"f AS (SELECT member_id, CASE WHEN kind = 'dues_reversal' THEN 'dues_payment' ELSE kind END kind, "
              f"CASE WHEN kind = 'dues_reversal' THEN -1 ELSE 1 END sign, quantity FROM analytics_fact "
              f"WHERE member_id IS NOT NULL AND \"on\" > {window} AND \"on\" <= {d}), "
              f"pk AS (SELECT member_id, kind, sum(sign) n, sum(quantity) q FROM f GROUP BY ALL), "
              f"pts AS ({points}), "
              f"mp AS (SELECT member_id, round(least(cap, greatest(0, per * CASE WHEN byq THEN q ELSE n END)), 4) pt "
              f"FROM pk JOIN pts USING (kind)), "
              f"ms AS (SELECT r.member_id, r.org_id, round(least(100.0, coalesce(sum(pt), 0)), 4) score FROM roll r "
              f"LEFT JOIN mp USING (member_id) GROUP BY ALL)")
    avg_parts = ("avgp AS (SELECT c.anc_id org_id, sum(s) ss, sum(n) sn FROM (SELECT org_id, sum(score) s, count(*) n "
                 "FROM ms GROUP BY ALL) JOIN closure c USING (org_id) GROUP BY ALL)")
    since = f"DATE '{p.as_of - dt.timedelta(days=p.active_days)}'"
    act_parts = (f"act AS (SELECT DISTINCT member_id FROM analytics_fact WHERE member_id IS NOT NULL AND \"on\" > {since} "
                 f"AND \"on\" <= {d}), actp AS (SELECT c.anc_id org_id, sum(a) sa, sum(n) sn FROM (SELECT r.org_id, "
                 f"count(act.member_id) a, count(*) n FROM roll r LEFT JOIN act USING (member_id) GROUP BY ALL) "
                 f"JOIN closure c USING (org_id) GROUP BY ALL)")
    freq = p.frequencies
    kinds = [("branch", k) for k in ("general_meeting", "committee_meeting", "party_lecture", "theme_day",
                                     "life_meeting", "democratic_appraisal") if k in freq] + \
            [("group", k) for k in ("group_meeting",) if k in freq]
    minimum = ", ".join(f"('{t}', {n})" for t, n in p.committee_minimum.items())
    span_rows = [f"SELECT '{c}' cls, '{k}' kind, '{key}' sk, DATE '{s}' ss, DATE '{e}' se"
                 for c, k in kinds for key, s, e in spans(p.as_of, freq[k])]
    comp_parts = (f"req AS (SELECT o.id org_id, r.kind, r.sk, r.ss, r.se FROM orgs_organization o JOIN ({' UNION ALL '.join(span_rows)}) r "
                  f"ON r.cls = CASE WHEN o.org_type IN ('branch','joint_branch','temporary_branch') THEN 'branch' "
                  f"WHEN o.org_type = 'group' THEN 'group' END WHERE (o.founded_on IS NULL OR o.founded_on <= r.ss) "
                  f"AND (o.dissolved_on IS NULL OR o.dissolved_on > r.se)), "
                  f"seats AS (SELECT r.org_id, r.sk FROM (SELECT req.*, o.org_type FROM req JOIN orgs_organization o "
                  f"ON o.id = req.org_id WHERE req.kind = 'committee_meeting') r JOIN (VALUES {minimum}) mn(t, n) "
                  f"ON mn.t = r.org_type JOIN orgs_committeemember c ON c.org_id = r.org_id AND c.started_on <= r.ss "
                  f"AND (c.ended_on IS NULL OR c.ended_on > r.ss) GROUP BY r.org_id, r.sk, mn.n HAVING count(*) >= mn.n "
                  f"INTERSECT SELECT r.org_id, r.sk FROM (SELECT req.*, o.org_type FROM req JOIN orgs_organization o "
                  f"ON o.id = req.org_id WHERE req.kind = 'committee_meeting') r JOIN (VALUES {minimum}) mn(t, n) "
                  f"ON mn.t = r.org_type JOIN orgs_committeemember c ON c.org_id = r.org_id AND c.started_on <= r.se "
                  f"AND (c.ended_on IS NULL OR c.ended_on > r.se) GROUP BY r.org_id, r.sk, mn.n HAVING count(*) >= mn.n), "
                  f"grp AS (SELECT r.org_id, r.sk FROM req r JOIN orgs_groupmembership g ON g.group_id = r.org_id "
                  f"AND g.started_on <= r.ss AND (g.ended_on IS NULL OR g.ended_on > r.ss) WHERE r.kind = 'group_meeting' "
                  f"INTERSECT SELECT r.org_id, r.sk FROM req r JOIN orgs_groupmembership g ON g.group_id = r.org_id "
                  f"AND g.started_on <= r.se AND (g.ended_on IS NULL OR g.ended_on > r.se) WHERE r.kind = 'group_meeting'), "
                  f"owed AS (SELECT * FROM req WHERE kind NOT IN ('committee_meeting', 'group_meeting') UNION ALL "
                  f"SELECT req.* FROM req JOIN seats USING (org_id, sk) WHERE req.kind = 'committee_meeting' UNION ALL "
                  f"SELECT req.* FROM req JOIN grp USING (org_id, sk) WHERE req.kind = 'group_meeting'), "
                  f"held AS (SELECT DISTINCT owed.org_id, owed.kind, owed.sk FROM owed JOIN (SELECT org_id, kind, "
                  f"also_counts_as, CAST(starts_at + INTERVAL 8 HOUR AS DATE) AS day FROM orglife_meeting WHERE state "
                  f"IN ('held','submitted','approved','returned') UNION ALL SELECT org_id, 'democratic_appraisal', "
                  f"NULL, make_date(year, 1, 1) FROM orglife_appraisal WHERE state = 'decided') m "
                  f"ON m.org_id = owed.org_id "
                  f"AND (m.kind = owed.kind OR coalesce(m.also_counts_as, '') LIKE '%\"' || owed.kind || '\"%') "
                  f"AND m.day BETWEEN owed.ss AND owed.se), "
                  f"rqn AS (SELECT org_id, count(*) rq FROM owed GROUP BY ALL), "
                  f"hdn AS (SELECT org_id, count(*) hd FROM held GROUP BY ALL), "
                  f"compp AS (SELECT c.anc_id org_id, sum(rq) rq, sum(coalesce(hd, 0)) hd FROM rqn LEFT JOIN hdn "
                  f"USING (org_id) JOIN closure c USING (org_id) GROUP BY ALL)")
    w = p.weights
    branch = (f"br AS (SELECT o.id org_id, "
              f"(CASE WHEN sn > 0 THEN {w['member_avg']} * ss / sn ELSE 0 END + CASE WHEN rq > 0 THEN {w['compliance']} * hd * 100.0 / rq ELSE 0 END "
              f"+ CASE WHEN an > 0 THEN {w['activity']} * sa * 100.0 / an ELSE 0 END) / nullif("
              f"CASE WHEN sn > 0 THEN {w['member_avg']} ELSE 0 END + CASE WHEN rq > 0 THEN {w['compliance']} ELSE 0 END "
              f"+ CASE WHEN an > 0 THEN {w['activity']} ELSE 0 END, 0) v "
              f"FROM orgs_organization o LEFT JOIN avgp a1 ON a1.org_id = o.id LEFT JOIN compp c2 ON c2.org_id = o.id "
              f"LEFT JOIN (SELECT org_id, sa, sn an FROM actp) a2 ON a2.org_id = o.id "
              f"WHERE o.org_type IN ('branch','joint_branch','temporary_branch'))")
    base_all = f"WITH {closure}, {roll}, {living}, {scores}, {avg_parts}, {act_parts}, {comp_parts}, {branch}"
    first_month = f"DATE '{month_start(add_months(p.as_of, -(WINDOW_MONTHS - 1)))}'"
    recruit = {"application": "applied", "activist_determination": "activist",
               "target_determination": "development_target", "admission_approval": "admitted"}
    rcases = " ".join(f"WHEN kind = '{k}' THEN '{v}'" for k, v in recruit.items())
    return {
        "members.total": f"WITH {closure}, {roll}, {living}, t AS (SELECT c.anc_id org_id, count(*) n FROM roll "
                         f"JOIN closure c USING (org_id) GROUP BY ALL) SELECT org_id, '', coalesce(n, 0)::DOUBLE, NULL, NULL "
                         f"FROM (SELECT org_id FROM living UNION SELECT org_id FROM t) LEFT JOIN t USING (org_id)",
        "members.gender": counted("gender"),
        "members.category": counted(f"CASE WHEN converted_on <= {d} OR (converted_on IS NULL AND category = 'full') "
                                    f"THEN 'full' ELSE 'probationary' END"),
        "members.age_band": counted(f"CASE {' '.join(ages)} END"),
        "members.education": counted("education"),
        "members.occupation": counted("occupation_category"),
        "members.ethnicity": counted("CASE WHEN ethnicity = '汉族' THEN 'han' ELSE 'minority' END"),
        "members.join_period": counted(f"CASE {joins} ELSE '{keys[-1]}' END"),
        "orglife.compliance": f"WITH {closure}, {comp_parts} SELECT org_id, '', hd / rq, hd, rq FROM compp WHERE rq > 0",
        "dues.collection_rate": f"WITH {closure}, b AS (SELECT id, org_id, amount FROM dues_duesbill WHERE month >= "
                                f"{first_month} AND month <= {d}), pay AS (SELECT bill_id, sum(amount) paid FROM "
                                f"dues_duespayment WHERE bill_id IS NOT NULL AND paid_on <= {d} AND (active OR "
                                f"CAST(reversed_at + INTERVAL 8 HOUR AS DATE) > {d}) GROUP BY ALL), x AS (SELECT "
                                f"b.org_id, sum(b.amount) due, sum(least(coalesce(paid, 0), b.amount)) paid FROM b LEFT "
                                f"JOIN pay ON pay.bill_id = b.id GROUP BY ALL), r AS (SELECT c.anc_id org_id, sum(due) "
                                f"due, sum(paid) paid FROM x JOIN closure c USING (org_id) GROUP BY ALL) "
                                f"SELECT org_id, '', paid / due, paid, due FROM r WHERE due > 0",
        "vitality.member_avg": f"WITH {closure}, {roll}, {scores}, {avg_parts} SELECT org_id, '', ss / sn, ss, sn "
                               f"FROM avgp WHERE sn > 0",
        "vitality.org_activity": f"WITH {closure}, {roll}, {act_parts} SELECT org_id, '', sa / sn, sa, sn FROM actp "
                                 f"WHERE sn > 0",
        "vitality.branch": f"{base_all} SELECT org_id, '', v, NULL, NULL FROM br WHERE v IS NOT NULL",
        "vitality.region": f"{base_all}, rg AS (SELECT c.anc_id org_id, sum(v) s, count(*) n FROM br JOIN closure c "
                           f"USING (org_id) WHERE v IS NOT NULL GROUP BY ALL) SELECT rg.org_id, '', s / n, s, n FROM rg "
                           f"JOIN orgs_organization o ON o.id = rg.org_id WHERE o.org_type NOT IN "
                           f"('branch','joint_branch','temporary_branch','group')",
        "recruitment.throughput": f"WITH {closure}, {living}, s AS (SELECT org_id, CASE {rcases} WHEN kind = "
                                  f"'conversion_approval' AND (outcome IS NULL OR outcome IN ('', 'convert')) THEN "
                                  f"'converted' END key FROM recruitment_step WHERE \"on\" > {window} AND \"on\" <= {d} "
                                  f"AND (passed IS NULL OR passed)), r AS (SELECT c.anc_id org_id, key, count(*) n FROM s "
                                  f"JOIN closure c USING (org_id) WHERE key IS NOT NULL GROUP BY ALL), a AS (SELECT "
                                  f"org_id, n FROM r WHERE key = 'admitted') SELECT org_id, key, n, NULL, NULL FROM r "
                                  f"UNION ALL SELECT org_id, '', coalesce(n, 0), NULL, NULL FROM (SELECT org_id FROM "
                                  f"living UNION SELECT org_id FROM a) LEFT JOIN a USING (org_id)",
        "alerts.open": f"WITH {closure}, {living}, r AS (SELECT c.anc_id org_id, level key, count(*) n FROM "
                       f"alerts_finding f JOIN closure c USING (org_id) WHERE first_seen <= {d} AND (resolved_on IS NULL "
                       f"OR resolved_on > {d}) AND level IN ('red', 'yellow') GROUP BY ALL), t AS (SELECT org_id, sum(n) n "
                       f"FROM r GROUP BY ALL) SELECT org_id, key, n, NULL, NULL FROM r UNION ALL SELECT org_id, '', "
                       f"coalesce(n, 0), NULL, NULL FROM (SELECT org_id FROM living UNION SELECT org_id FROM t) LEFT "
                       f"JOIN t USING (org_id)",
        "member_scores": f"WITH {roll}, {scores} SELECT member_id, org_id, score FROM ms",
    }


def plain(row) -> tuple:
    """A row with an empty key for NULL (the second column) and every figure a float."""
    return tuple("" if x is None and i == 1 else x if x is None or isinstance(x, str) else float(x)
                 for i, x in enumerate(row))


def same(ours, theirs) -> bool:
    """The same rows, matched by their first two columns, each figure equal to 1e-9 (sums added up in another
    order differ in the last bits, which rounding both to a fixed number of decimals can turn into a difference)."""
    a, b = sorted(map(plain, ours), key=lambda r: r[:2]), sorted(map(plain, theirs), key=lambda r: r[:2])
    return len(a) == len(b) and all(
        x[:2] == y[:2] and all(u == v if u is None or v is None or isinstance(u, str)
                               else math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-9) for u, v in zip(x[2:], y[2:]))
        for x, y in zip(a, b))


DAY_REF = "bench-day"


def reset(cursor) -> None:
    """The dataset as generated: the simulated day undone, no summaries, no refreshes (a new deployment)."""
    cursor.execute("DELETE FROM analytics_fact WHERE ref = %s", [DAY_REF])
    cursor.execute("DELETE FROM dues_duespayment WHERE idempotency_key LIKE %s", [DAY_REF + "-%"])
    cursor.execute("DELETE FROM members_memberperiod WHERE valid_from IS NOT NULL AND member_id % 3331 = 0")
    cursor.execute("UPDATE members_memberperiod SET valid_to = NULL WHERE valid_to IS NOT NULL AND member_id % 3331 = 0")
    cursor.execute("UPDATE members_member SET education = (ARRAY['postgraduate','undergraduate','junior_college',"
                   "'secondary_vocational','high_school','middle_school_or_below',''])[1 + id % 7] "
                   "WHERE id % 3333 = 0")
    cursor.execute("TRUNCATE analytics_indicatorvalue, analytics_memberscore, analytics_refreshrun, analytics_change, "
                   "analytics_change_mark")


def one_day(cursor, scale: float, today: dt.date) -> dict:
    """What a day brings at this scale: a day's share of the facts (the dataset spreads them over 420 days), dues
    paid for 1 % of the bills of this month, 0.03 % of the members edited, 0.03 % moved to another branch."""
    facts = max(100, int(FACTS_AT_1 * scale / 420))
    cursor.execute("SELECT max(id) FROM members_member")
    members = cursor.fetchone()[0]
    cursor.execute("SELECT min(id), count(*) FROM orgs_organization WHERE org_type = 'branch'")
    first_branch, branches = cursor.fetchone()
    kinds = "ARRAY['attendance','check_in','study','login','login','task_step']"
    cursor.execute(f"""
        INSERT INTO analytics_fact (kind, "on", at, quantity, ref, detail, member_id, org_id)
        SELECT ({kinds})[1 + g %% 6], %(today)s, now(), CASE WHEN g %% 6 = 2 THEN 2 ELSE 1 END, %(ref)s, '{{}}',
               m.id, m.org_id
        FROM generate_series(1, %(n)s) g JOIN members_member m ON m.id = 1 + (g::bigint * 7919) %% %(m)s""",
                   {"today": today, "ref": DAY_REF, "n": facts, "m": members})
    cursor.execute("""
        INSERT INTO dues_duespayment (kind, amount, method, paid_by, paid_on, idempotency_key, external_ref,
            for_central, active, recorded_at, reversal_reason, bill_id, member_id, recorded_by_id)
        SELECT 'regular', b.amount, 'cash', '', %(today)s, %(ref)s || '-' || b.id, '', false, true, now(), '', b.id,
               b.member_id, (SELECT min(id) FROM accounts_user)
        FROM dues_duesbill b WHERE b.month = %(month)s AND b.id %% 100 = 0""",
                   {"today": today, "ref": DAY_REF, "month": today.replace(day=1)})
    cursor.execute("UPDATE members_member SET education = 'postgraduate', updated_at = now() WHERE id % 3333 = 0")
    cursor.execute("UPDATE members_memberperiod SET valid_to = %(today)s WHERE valid_to IS NULL AND member_id %% 3331 = 0",
                   {"today": today})
    cursor.execute("""
        INSERT INTO members_memberperiod (status, valid_from, valid_to, member_id, org_id)
        SELECT 'normal', %(today)s, NULL, id, %(b0)s + (org_id - %(b0)s + 1) %% %(nb)s FROM members_member
        WHERE id %% 3331 = 0""", {"today": today, "b0": first_branch, "nb": branches})
    return {"facts": facts}


def refreshed(as_of: dt.date, label: str) -> dict:
    from dangjian.analytics.refresh import do_refresh

    run = do_refresh(as_of, engine="duckdb")
    if run.state != "done":
        raise SystemExit(f"refresh failed: {run.error}")
    t = run.timings
    t["total"] = t["extract"] + t["compute"] + t["store"] + t.get("remember", 0)
    print(f"{label}: extract {t['extract']:.2f} s ({t.get('extract_rows', 0):,} rows), compute {t['compute']:.2f} s, "
          f"store {t['store']:.2f} s ({t['changed_values']:,} of {t['values']:,} values and {t['changed_scores']:,} "
          f"scores written, {t['dated']:,} dated), keeping the copy {t.get('remember', 0):.2f} s; "
          f"total {t['total']:.2f} s")
    return t


def main() -> None:
    args = parse()
    url = setup(args)
    generate(args.scale)

    from django.db import connection

    from dangjian.analytics import extract as staging
    from dangjian.analytics import summaries
    from dangjian.analytics.engines import DuckDBEngine, PostgresEngine, SparkEngine
    from dangjian.analytics.indicators import Indicators, Params
    from dangjian.analytics.refresh import compute, compute_into

    today = dt.date.today()
    yesterday = today - dt.timedelta(days=1)
    for path in Path(os.environ["DANGJIAN_DATA_DIR"], "analytics").glob("analytics.duckdb*"):
        path.unlink()
    with connection.cursor() as cursor:
        reset(cursor)
    # The first refresh of a deployment (yesterday): everything extracted, every figure written.
    refreshed(yesterday, "first refresh (DuckDB, yesterday)")
    with connection.cursor() as cursor:
        day = one_day(cursor, args.scale, today)
        # A day passes before the nightly refresh: the server has long written the first refresh's and the day's
        # pages out (its checkpoint, the kernel's write-back), which would otherwise compete with the nightly.
        cursor.execute("CHECKPOINT")
    os.sync()
    print(f"a day's changes: {day['facts']:,} facts, payments, member edits and moves")
    # The nightly refresh (today): what changed extracted, every indicator computed, the figures that changed written.
    t = refreshed(today, "nightly refresh (DuckDB, today)")
    total = t["total"]
    # The same computation again, indicator by indicator, beside the hand-written SQL on the same staged file; both
    # materialise their rows in a DuckDB table.
    with staging.connect() as duck:
        eng = DuckDBEngine(duck=duck)
        began = time.perf_counter()
        seconds = compute_into(eng, today)
        ours_total = time.perf_counter() - began
        ours = {}
        for code, org_id, key, value, numerator, denominator in duck.execute(
                f"SELECT * FROM {summaries.RESULT_VALUES}").fetchall():
            ours.setdefault(code, []).append((org_id, key, value, numerator, denominator))
        ours["member_scores"] = duck.execute(f"SELECT member_id, org_id, score FROM {summaries.RESULT_SCORES}").fetchall()
        ind = Indicators(eng.table, Params.on(today, eng.max_depth()), keep=eng.keep, small=eng.small)
        sql = hand_written(ind.p, eng.max_depth())
        hand_total, mismatches = 0.0, []
        print(f"{'indicator':<26}{'ours (s)':>10}{'SQL (s)':>10}  equal")
        for code, statement in sql.items():
            began = time.perf_counter()
            duck.execute(f"CREATE OR REPLACE TEMP TABLE _hand AS {statement}")
            elapsed = time.perf_counter() - began
            hand_total += elapsed
            rows = duck.execute("SELECT * FROM _hand").fetchall()
            equal = same([tuple(r) for r in ours.get(code, [])], rows)
            if not equal:
                mismatches.append(code)
            print(f"{code:<26}{seconds.get(code, 0):>10.3f}{elapsed:>10.3f}  {'yes' if equal else 'NO'}")
        print(f"{'all (ours incl. shared)':<26}{ours_total:>10.3f}{hand_total:>10.3f}")
        if not args.no_spark:
            spark = SparkEngine(duck=duck)
            began = time.perf_counter()
            compute(spark, today)
            print(f"Spark (local mode): compute {time.perf_counter() - began:.2f} s")
    if not args.no_postgres:
        pg = PostgresEngine(url)
        began = time.perf_counter()
        compute(pg, today)
        print(f"PostgreSQL (OLTP tables): compute {time.perf_counter() - began:.2f} s")
        pg.close()
    with connection.cursor() as cursor:
        reset(cursor)
    if mismatches:
        print(f"MISMATCH between ours and the hand-written SQL: {', '.join(mismatches)}")
    print(f"TOTAL {total:.2f} s; RATIO {t['compute'] / hand_total:.2f} vs hand-written SQL")


if __name__ == "__main__":
    main()
