"""Pages and API of the warning engine, read through the scope: a branch never sees another branch's findings."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from dangjian.alerts import actions
from dangjian.alerts.models import Finding, RectificationTask

from .helpers import ON, unpaid_months

pytestmark = pytest.mark.django_db


@pytest.fixture
def findings(world):
    for code in ("BR1", "BR2", "BR3"):
        unpaid_months(world, world.members[code][1], 6)
    actions.do_run_evaluation(ON)
    return {code: Finding.objects.get(rule="dues_arrears", member=world.members[code][1]) for code in ("BR1", "BR2", "BR3")}


def login(client, user):
    client.force_login(user)
    return client


def test_a_branch_never_sees_another_branchs_findings_or_tasks(world, client, findings):
    login(client, world.secretary)
    assert client.get(f"/alerts/findings/{findings['BR1'].pk}/").status_code == 200
    assert client.get(f"/alerts/findings/{findings['BR2'].pk}/").status_code == 404
    assert client.get(f"/alerts/tasks/{findings['BR3'].task.pk}/").status_code == 404
    assert client.get(f"/alerts/orgs/{world.br2.pk}/").status_code == 404
    api = APIClient()
    api.force_authenticate(world.secretary)
    ids = {row["id"] for row in api.get("/api/v1/findings/?rule=dues_arrears").json()["results"]}
    assert ids == {findings["BR1"].pk}
    assert api.get(f"/api/v1/findings/{findings['BR2'].pk}/").status_code == 404
    assert api.get(f"/api/v1/rectification-tasks/{findings['BR2'].task.pk}/steps/").status_code == 404


def test_the_committee_board_counts_red_branches_below_it(world, client, findings):
    login(client, world.organizer)
    page = client.get(f"/alerts/orgs/{world.dist.pk}/")
    assert page.status_code == 200
    sta = next(c for c in page.context["board"].children if c.org == world.sta)
    assert sta.red_orgs == 3  # 街道党工委 A, 第一支部 and 第二支部 have no secretary: red
    assert sta.rules["dues_arrears"]["red"] == 2
    stb = next(c for c in page.context["board"].children if c.org == world.stb)
    assert stb.rules["dues_arrears"]["red"] == 1
    drill = client.get(f"/alerts/orgs/{world.dist.pk}/?rule=dues_arrears")
    assert {f.pk for f in drill.context["page"]} == {f.pk for f in findings.values()}
    evidence = client.get(f"/alerts/findings/{findings['BR3'].pk}/")
    assert "连续欠缴月数" in evidence.content.decode()


def test_the_task_loop_through_the_pages(world, client, findings):
    task = findings["BR1"].task
    login(client, world.secretary)
    assert "待整改的督办任务" in client.get("/").content.decode()
    client.post(f"/alerts/tasks/{task.pk}/acknowledge/")
    response = client.post(f"/alerts/tasks/{task.pk}/rectify/", {"note": ""}, follow=True)
    assert "请填写整改情况" in response.content.decode()
    client.post(f"/alerts/tasks/{task.pk}/rectify/", {"note": "已谈话并补交"})
    assert client.post(f"/alerts/tasks/{task.pk}/verify/", {"decision": "accept"}).status_code == 404
    login(client, world.committee_organizer)
    assert "待核验的整改" in client.get("/").content.decode()
    client.post(f"/alerts/tasks/{task.pk}/verify/", {"decision": "accept"})
    assert RectificationTask.objects.get(pk=task.pk).state == "closed"


def test_the_task_loop_through_the_api(world, findings):
    task = findings["BR2"].task
    branch, committee = APIClient(), APIClient()
    branch.force_authenticate(world.secretary2)
    committee.force_authenticate(world.committee_organizer)
    assert branch.post(f"/api/v1/rectification-tasks/{task.pk}/acknowledge/").json()["state"] == "acknowledged"
    bad = branch.post(f"/api/v1/rectification-tasks/{task.pk}/rectify/", {"note": ""}, format="json")
    assert bad.status_code == 400 and "note" in bad.json()
    assert branch.post(f"/api/v1/rectification-tasks/{task.pk}/rectify/", {"note": "已补交"},
                       format="json").status_code == 200
    assert branch.post(f"/api/v1/rectification-tasks/{task.pk}/verify/", {"accepted": True},
                       format="json").status_code == 404
    done = committee.post(f"/api/v1/rectification-tasks/{task.pk}/verify/", {"accepted": True}, format="json")
    assert done.json()["state"] == "closed"
    steps = committee.get(f"/api/v1/rectification-tasks/{task.pk}/steps/").json()
    assert [s["kind"] for s in steps] == ["opened", "acknowledged", "rectified", "verified"]


def test_a_plain_member_has_no_warning_pages(world, client, findings):
    login(client, world.member_user)
    assert client.get("/alerts/").status_code == 404
    assert client.get(f"/alerts/findings/{findings['BR1'].pk}/").status_code == 404


def test_an_escalated_task_appears_among_the_committees_own_tasks(world, client, findings):
    task = findings["BR1"].task
    login(client, world.committee_organizer)
    assert task not in client.get("/alerts/").context["manage"]
    actions.do_run_evaluation(task.deadline + dt.timedelta(days=1), codes=["dues_arrears"])
    assert task in client.get("/alerts/").context["manage"]


def test_the_board_reports_open_and_closed_tasks_and_the_median_days_to_close(world, client, findings):
    for code, days in (("BR1", 4), ("BR2", 10)):
        task = findings[code].task
        actions.do_acknowledge_task(task, actor=world.committee_organizer)
        actions.do_rectify_task(task, note="已补交", actor=world.committee_organizer)
        actions.do_verify_task(task, accepted=True, actor=world.organizer, on=ON + dt.timedelta(days=days))
    login(client, world.organizer)
    metrics = {m.code: m for m in client.get(f"/alerts/orgs/{world.dist.pk}/").context["metrics"]}
    arrears = metrics["dues_arrears"]
    assert (arrears.open, arrears.closed, arrears.median_days, arrears.reopened) == (1, 2, 7, 0)
