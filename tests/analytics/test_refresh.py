"""The refresh job (extract → compute → store), the incremental extract, the command, the API, the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from dangjian.analytics import extract as staging
from dangjian.analytics import refresh
from dangjian.analytics.models import Fact, IndicatorValue, MemberScore, RefreshRun
from dangjian.core.models import AuditRecord

from analytics.dataset import build, today

pytestmark = pytest.mark.django_db


def test_a_refresh_replaces_the_values_of_its_day_and_records_the_time_of_each_phase(world):
    build(world)
    first = refresh.do_refresh()
    count = IndicatorValue.objects.filter(as_of=IndicatorValue.LATEST).count()
    second = refresh.do_refresh()
    assert (first.state, second.state) == ("done", "done")
    assert IndicatorValue.objects.filter(as_of=IndicatorValue.LATEST).count() == count
    assert MemberScore.objects.count() == 9
    assert {"extract", "compute", "store", "values", "scores"} <= set(second.timings)
    assert second.timings["values"] == count and second.finished_at is not None
    assert AuditRecord.objects.filter(action="analytics.refresh").count() == 2


def test_a_failed_refresh_is_recorded_with_its_error_and_keeps_the_old_values(world, monkeypatch):
    build(world)
    refresh.do_refresh()
    before = sorted(IndicatorValue.objects.filter(as_of=IndicatorValue.LATEST).values_list("org_id", "code", "key", "value"))

    def broken(as_of, results, run):
        IndicatorValue.objects.filter(as_of=IndicatorValue.LATEST).delete()  # half done when it fails
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(refresh.summaries, "store", broken)
    run = refresh.do_refresh()
    assert run.state == "failed" and "磁盘已满" in run.error and run.finished_at is not None
    after = sorted(IndicatorValue.objects.filter(as_of=IndicatorValue.LATEST).values_list("org_id", "code", "key", "value"))
    assert after == before


def test_bad_input_is_refused_in_chinese_and_leaves_no_run(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        refresh.do_refresh(today() + dt.timedelta(days=1))
    assert "不能晚于今天" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        refresh.do_refresh("2026-13-01")
    assert "YYYY-MM-DD" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        refresh.do_refresh(engine="oracle")
    assert "未知的计算引擎" in str(exc.value)
    assert not RefreshRun.objects.exists()


def test_the_extract_reads_only_new_and_changed_rows_and_a_late_commit_with_a_lower_id(world):
    from dangjian.dues import actions as dues
    from dangjian.dues.models import DuesPayment

    build(world)
    Fact.objects.update(at=timezone.now() - dt.timedelta(hours=2))  # written long before this extract
    with staging.connect() as duck:
        first = staging.extract(duck)
        assert first.full["analytics_fact"] and first.rows["analytics_fact"] == Fact.objects.count()
        again = staging.extract(duck)
        assert not again.full["analytics_fact"] and again.rows["analytics_fact"] == 0
        assert again.full["orgs_organization"]  # small tables: whole every time
        # A fact committed late under a lower id than the high-water mark is still read (by the time it was written).
        low_id = Fact.objects.order_by("id").first().id
        late = Fact.objects.get(id=low_id)
        Fact.objects.filter(id=low_id).update(quantity=Decimal(7), at=timezone.now())
        payment = DuesPayment.objects.filter(active=True).first()
        dues.do_reverse_payment(payment, reason="录入错误", actor=world.secretary)
        third = staging.extract(duck)
        assert third.rows["analytics_fact"] == 2  # the late one and the reversal
        assert duck.execute("SELECT quantity FROM analytics_fact WHERE id = ?", [late.id]).fetchone()[0] == 7
        assert duck.execute("SELECT active FROM dues_duespayment WHERE id = ?", [payment.id]).fetchone()[0] is False
        assert duck.execute("SELECT count(*) FROM analytics_fact").fetchone()[0] == Fact.objects.count()


def test_the_command_refreshes_and_refuses_a_bad_date(world, capsys):
    build(world)
    call_command("analytics", "refresh", "--as-of", today().isoformat())
    assert "指标计算完成" in capsys.readouterr().out
    assert IndicatorValue.objects.filter(as_of=IndicatorValue.LATEST, code="members.total").exists()
    with pytest.raises(CommandError) as exc:
        call_command("analytics", "refresh", "--as-of", "明天")
    assert "YYYY-MM-DD" in str(exc.value)


def test_the_api_lists_runs_and_queues_a_refresh_for_holders_of_the_refresh_permission(world, client):
    from django_tasks_db.models import DBTaskResult

    refresh.do_refresh()
    url = "/api/v1/analytics/refresh-runs/"
    client.force_login(world.secretary)
    listed = client.get(url)
    assert listed.status_code == 200 and listed.json()["results"][0]["state"] == "done"
    assert client.post(url, {}, content_type="application/json").status_code == 404  # may view, not refresh
    client.force_login(world.organizer)
    bad = client.post(url, {"as_of": "2026-02-30"}, content_type="application/json")
    assert bad.status_code == 400 and "YYYY-MM-DD" in str(bad.json())
    future = client.post(url, {"as_of": (today() + dt.timedelta(days=3)).isoformat()}, content_type="application/json")
    assert future.status_code == 400 and "不能晚于今天" in str(future.json())
    assert not DBTaskResult.objects.exists()
    response = client.post(url, {"engine": "duckdb"}, content_type="application/json")
    assert response.status_code == 202
    assert AuditRecord.objects.filter(action="analytics.refresh_request", actor=world.organizer).exists()
    client.force_login(world.nobody)
    assert client.get(url).status_code == 404


def test_the_refresh_page_shows_the_runs_and_the_button_only_to_refresh_holders(world, client):
    refresh.do_refresh()
    client.force_login(world.organizer)
    page = client.get(reverse("analytics:refresh"))
    assert page.status_code == 200 and "立即计算" in page.content.decode() and "完成" in page.content.decode()
    client.force_login(world.secretary)
    page = client.get(reverse("analytics:refresh"))
    assert page.status_code == 200 and "立即计算" not in page.content.decode()
    assert client.post(reverse("analytics:refresh")).status_code == 404
    client.force_login(world.nobody)
    assert client.get(reverse("analytics:refresh")).status_code == 404


def test_the_vitality_page_traces_each_point_to_its_facts_within_the_scope(world, client):
    build(world)
    refresh.do_refresh()
    member = world.members["BR1"][0]
    client.force_login(world.secretary)
    page = client.get(reverse("analytics:member_vitality", args=[member.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "参加组织生活" in html and "orglife.meeting:" in html
    score = MemberScore.objects.get(member=member)
    assert f"{score.score:.1f}" in html
    assert client.get(reverse("members:detail", args=[member.pk])).content.decode().count("vitality-link") == 1
    other = world.members["BR3"][0]
    assert client.get(reverse("analytics:member_vitality", args=[other.pk])).status_code == 404
    client.force_login(world.member_user)
    assert client.get(reverse("analytics:member_vitality", args=[world.own_member.pk])).status_code == 200


def test_the_nightly_schedule_enqueues_the_refresh(world, settings):
    from django_tasks_db.models import DBTaskResult
    from zoneinfo import ZoneInfo

    from dangjian.core import schedule

    settings.ALERTS_NIGHTLY_AT = "off"
    settings.ANALYTICS_NIGHTLY_AT = "03:00"
    night = dt.datetime(2026, 6, 15, 3, 5, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert schedule.run_due(night) == ["analytics.refresh"]
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "dangjian.analytics.jobs.refresh_indicators"
    queued.task.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"])  # what the worker does
    assert RefreshRun.objects.get().as_of == dt.date(2026, 6, 15)
