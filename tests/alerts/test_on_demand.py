"""立即评估: the organisation department runs every rule now, in the background, one run at a time; the rules
catalogue shows each rule with its parameters in force."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from dangjian.alerts import actions
from dangjian.alerts.models import Evaluation, RectificationTask
from dangjian.core.models import AuditRecord

from .helpers import unpaid_months

pytestmark = pytest.mark.django_db


def test_the_organisation_department_asks_for_an_evaluation_and_the_worker_runs_it(world, client,
                                                                                   django_capture_on_commit_callbacks):
    unpaid_months(world, world.members["BR1"][1], 3, on=dt.date.today())
    client.force_login(world.organizer)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/alerts/evaluations/").status_code == 302
    queued = DBTaskResult.objects.get()
    assert queued.status == "READY"
    assert AuditRecord.objects.filter(action="alerts.evaluate_request", actor=world.organizer).exists()
    page = client.get("/alerts/evaluations/").content.decode()
    assert "评估排队或进行中" in page
    second = client.post("/alerts/evaluations/", follow=True).content.decode()
    assert "已有一次预警评估在排队或进行中" in second and DBTaskResult.objects.count() == 1
    queued.task.call(*queued.args_kwargs["args"], **queued.args_kwargs["kwargs"])  # what the worker does
    assert Evaluation.objects.count() == 1 and RectificationTask.objects.exists()


def test_only_the_organisation_department_may_ask_for_an_evaluation(world, client):
    for user in (world.secretary, world.committee_organizer, world.sysadmin, world.member_user):
        with pytest.raises(Http404):
            actions.do_request_evaluation(actor=user)
        client.force_login(user)
        assert client.get("/alerts/evaluations/").status_code == 404
    assert not DBTaskResult.objects.exists()


def test_the_api_queues_an_evaluation_and_refuses_a_future_date(world):
    api = APIClient()
    api.force_authenticate(world.organizer)
    assert api.post("/api/v1/evaluations/", {"on": "2999-01-01"}, format="json").status_code == 400
    assert api.post("/api/v1/evaluations/", {}, format="json").status_code == 202
    assert api.get("/api/v1/evaluations/").status_code == 200
    api.force_authenticate(world.secretary)
    assert api.post("/api/v1/evaluations/", {}, format="json").status_code == 404


def test_the_rules_catalogue_shows_each_rule_with_its_parameters_in_force(world, client):
    from dangjian.core.rule_settings import do_set_rule_value

    do_set_rule_value("dues_arrears_notice_months", 2, reason="本地规定", actor=world.sysadmin)
    client.force_login(world.secretary)
    page = client.get("/alerts/rules/").content.decode()
    assert "连续未交纳党费" in page and "<code>dues_arrears_notice_months</code> = <code>2</code>" in page
    api = APIClient()
    api.force_authenticate(world.secretary)
    rules = {r["code"]: r for r in api.get("/api/v1/warning-rules/").json()}
    assert rules["dues_arrears"]["parameters"]["dues_arrears_notice_months"] == 2
    api.force_authenticate(world.sysadmin)
    assert api.get("/api/v1/warning-rules/").status_code == 404
