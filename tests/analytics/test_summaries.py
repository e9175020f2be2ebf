"""Storing the results: the newest values are rewritten only where a figure changed and always equal a whole
rewrite; month-ends and corrections of past days keep dated copies; the cockpit reads the newest values by their day."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from dangjian.analytics import extract as staging
from dangjian.analytics import facts, summaries
from dangjian.analytics.models import IndicatorValue, MemberScore, RefreshRun
from dangjian.cockpit import queries

from analytics.dataset import build, today

pytestmark = pytest.mark.django_db

LATEST = IndicatorValue.LATEST


def done(as_of=None, engine=None):
    from dangjian.analytics.refresh import do_refresh

    run = do_refresh(as_of, engine=engine)
    assert run.state == "done", run.error
    return run


def newest_values() -> list:
    return sorted(IndicatorValue.objects.filter(as_of=LATEST)
                  .values_list("org_id", "code", "key", "value", "numerator", "denominator"))


def newest_scores() -> list:
    return sorted(MemberScore.objects.values_list("member_id", "org_id", "score", "detail"))


def rewritten_whole() -> tuple[list, list]:
    """What a refresh without the analytics file's copy stores (every figure written again)."""
    for path in staging.analytics_path().parent.glob("analytics.duckdb*"):
        path.unlink()
    run = done()
    assert run.timings["changed_values"] == run.timings["values"]
    return newest_values(), newest_scores()


def test_a_second_refresh_writes_only_the_figures_that_changed_and_equals_a_whole_rewrite(world):
    build(world)
    first = done()
    assert first.latest and first.timings["changed_values"] == first.timings["values"] > 0
    member = world.members["BR2"][0]
    facts.record("login", on=today(), org_id=world.br2.pk, member_id=member.pk)
    second = done()
    # One member's login moves that member's score, the averages of BR2 and its ancestors, their activity, the
    # branch and region vitality: a handful of figures, not all of them.
    assert 0 < second.timings["changed_values"] < second.timings["values"] / 4
    assert second.timings["changed_scores"] == 1
    assert MemberScore.objects.get(member=member).detail["login"]["count"] == 1
    values, scores = newest_values(), newest_scores()
    assert rewritten_whole() == (values, scores)


def test_a_member_who_leaves_the_roll_loses_the_score_and_an_emptied_breakdown_goes(world):
    from dangjian.members.models import MemberPeriod

    build(world)
    done()
    leaver = world.members["BR3"][0]
    assert MemberScore.objects.filter(member=leaver).exists()
    MemberPeriod.objects.filter(member=leaver, valid_to__isnull=True).update(valid_to=today() - dt.timedelta(days=1))
    run = done()
    assert not MemberScore.objects.filter(member=leaver).exists()
    assert run.timings["changed_scores"] == 0  # nobody else changed
    values, scores = newest_values(), newest_scores()
    assert rewritten_whole() == (values, scores)


def test_a_lost_copy_in_the_analytics_file_means_a_whole_rewrite_never_a_wrong_difference(world):
    build(world)
    done()
    with staging.connect() as duck:
        summaries.forget(duck)  # as after a crash between the commit and the copy
        duck.execute(f"DELETE FROM {summaries.MIRROR_VALUES}")
    member = world.members["BR1"][0]
    facts.record("login", on=today(), org_id=world.br1.pk, member_id=member.pk)
    run = done()
    assert run.timings["changed_values"] == run.timings["values"]
    assert MemberScore.objects.get(member=member).detail["login"]["count"] == 1


def test_a_next_copy_left_by_a_failed_refresh_is_never_taken_for_the_next_refreshs(world):
    build(world)
    done()
    with staging.connect() as duck:  # as a refresh that failed after writing its next copy leaves it
        for mirror, (name, _result) in summaries.NEXT_COPY.items():
            duck.execute(f"CREATE TABLE {name} AS SELECT * FROM {mirror} WHERE false")
    member = world.members["BR1"][0]
    facts.record("login", on=today(), org_id=world.br1.pk, member_id=member.pk)
    assert done().timings["changed_scores"] == 1
    facts.record("login", on=today(), org_id=world.br1.pk, member_id=member.pk)
    assert done().timings["changed_scores"] == 1  # the difference against the right copy, not an empty one
    assert MemberScore.objects.get(member=member).detail["login"]["count"] == 2
    values, scores = newest_values(), newest_scores()
    assert rewritten_whole() == (values, scores)


def test_a_month_end_keeps_a_dated_copy_and_a_correction_of_a_past_day_leaves_the_newest_values(world):
    build(world)
    month_end = queries.month_end(today(), 1)
    first = done(month_end)
    assert first.latest and first.timings["dated"] == first.timings["values"]
    dated = sorted(IndicatorValue.objects.filter(as_of=month_end).values_list("org_id", "code", "key", "value"))
    assert dated == sorted((o, c, k, v) for o, c, k, v, _n, _d in newest_values())
    done()  # today: the newest values move on, the month-end stays
    assert summaries.latest_day() == today()
    newest = newest_values()
    past = today() - dt.timedelta(days=3) if today().day > 3 else today() - dt.timedelta(days=1)
    if past == month_end:
        past -= dt.timedelta(days=1)
    correction = done(past)
    assert not correction.latest and correction.timings["scores"] == 0
    assert IndicatorValue.objects.filter(as_of=past).count() == correction.timings["values"]
    assert newest_values() == newest and summaries.latest_day() == today()
    assert summaries.stored_dates([today(), past, month_end]) == {LATEST: today(), past: past, month_end: month_end}


def test_the_cockpit_reads_the_newest_values_under_the_day_of_the_newest_refresh(world, client):
    build(world)
    done()
    client.force_login(world.organizer)
    data = client.get(f"/api/v1/cockpit/orgs/{world.dist.pk}/").json()
    assert data["as_of"] == today().isoformat() and data["empty"] is False
    members = next(k for k in data["kpis"] if k["code"] == queries.MEMBERS)
    stored = IndicatorValue.objects.get(as_of=LATEST, org=world.dist, code=queries.MEMBERS, key="")
    assert members["value"] == stored.value > 0


def test_a_failed_refresh_neither_moves_the_newest_day_nor_spoils_the_next_difference(world, monkeypatch):
    build(world)
    done()
    newest = newest_values()

    def broken(as_of, results, run):
        summaries.IndicatorValue.objects.filter(as_of=LATEST).delete()
        raise RuntimeError("磁盘已满")

    with monkeypatch.context() as patched:
        patched.setattr(summaries, "store", broken)
        from dangjian.analytics.refresh import do_refresh

        failed = do_refresh()
    assert failed.state == "failed" and not failed.latest
    assert newest_values() == newest
    assert RefreshRun.objects.filter(latest=True, state="done").count() == 1
    member = world.members["BR1"][1]
    facts.record("login", on=today(), org_id=world.br1.pk, member_id=member.pk)
    run = done()
    assert run.timings["changed_scores"] == 1
    values, scores = newest_values(), newest_scores()
    assert rewritten_whole() == (values, scores)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the differences go through files on PostgreSQL only")
def test_a_difference_failing_halfway_through_writing_leaves_the_newest_values_and_no_file_behind(world, monkeypatch):
    # On PostgreSQL DuckDB writes the differences to files in a thread while the ones already written are applied.
    build(world)
    done()
    values, scores = newest_values(), newest_scores()
    member = world.members["BR2"][0]
    facts.record("login", on=today(), org_id=world.br2.pk, member_id=member.pk)
    export = summaries._export

    def failing(duck, query, columns):
        if "detail" in columns:
            raise RuntimeError("磁盘已满")
        return export(duck, query, columns)

    with monkeypatch.context() as patched:
        patched.setattr(summaries, "_export", failing)
        from dangjian.analytics.refresh import do_refresh

        failed = do_refresh()
    assert failed.state == "failed" and "磁盘已满" in failed.error
    # The changed values were applied before the scores failed: the transaction took them back.
    assert (newest_values(), newest_scores()) == (values, scores)
    assert not list(staging.analytics_path().parent.glob("*.csv"))
    run = done()
    assert run.timings["changed_scores"] == 1
    assert MemberScore.objects.get(member=member).detail["login"]["count"] == 1
    assert rewritten_whole() == (newest_values(), newest_scores())
