"""Local and unverified regulation values set in the app by the system administrator: only those values, only by
that role, checked against what the rule means, audited, and in force at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core import rulebook
from dangjian.core.models import AuditRecord, RuleSetting
from dangjian.core.rule_settings import do_reset_rule_value, do_set_rule_value

pytestmark = pytest.mark.django_db


def test_a_value_set_in_the_app_is_in_force_at_once_and_audited(world):
    assert rulebook.value("dues_arrears_notice_months") == 3
    do_set_rule_value("dues_arrears_notice_months", 2, reason="某省委组织部〔2026〕5号", actor=world.sysadmin)
    assert rulebook.value("dues_arrears_notice_months", dt.date(2020, 1, 1)) == 2
    assert rulebook.source("dues_arrears_notice_months") == "app"
    record = AuditRecord.objects.get(action="rules.change")
    assert record.before == {"value": 3} and record.after["value"] == 2 and record.actor == world.sysadmin


def test_the_app_setting_takes_precedence_over_the_deployment_override(world, monkeypatch):
    monkeypatch.setenv("DANGJIAN_RULE_OVERRIDES", '{"rectification_days": {"yellow": 20, "red": 10}}')
    assert rulebook.source("rectification_days") == "deployment"
    do_set_rule_value("rectification_days", {"yellow": 40, "red": 20}, reason="本地规定", actor=world.sysadmin)
    assert rulebook.value("rectification_days") == {"yellow": 40, "red": 20}
    do_reset_rule_value("rectification_days", reason="恢复部署配置", actor=world.sysadmin)
    assert rulebook.value("rectification_days") == {"yellow": 20, "red": 10}
    assert not RuleSetting.objects.exists()
    assert AuditRecord.objects.filter(action="rules.reset").count() == 1


def test_statutory_values_cannot_be_adjusted_in_the_app(world):
    with pytest.raises(ValidationError) as exc:
        do_set_rule_value("min_age_join", 16, reason="试图修改", actor=world.sysadmin)
    assert "党内法规规定" in str(exc.value)
    assert rulebook.value("min_age_join") == 18


@pytest.mark.parametrize("name, value, message", [
    ("dues_arrears_notice_months", 6, "应少于党章规定的 6 个月"),
    ("dues_arrears_notice_months", 0, "应在 1 到 1000 之间"),
    ("dues_arrears_notice_months", "三", "应为整数"),
    ("election_quorum", [5, 5], "应小于 1"),
    ("election_quorum", [4], "[分子, 分母]"),
    ("committee_size", {"branch": [3, 5, 7]}, "应包含且只包含"),
    ("dues_farmer_monthly", "1.5", "应在 0.2 到 1 元之间"),
    ("transfer_steps", {"within_committee": ["mayor"], "across_committees": []}, "只能由"),
    ("election_candidate_margin", "1.2", "应在 0 到 1 之间"),
    ("term_reminder_months", [6, 6], "不能重复"),
])
def test_a_value_that_contradicts_the_rule_is_refused_and_changes_nothing(world, name, value, message):
    before = rulebook.value(name)
    with pytest.raises(ValidationError) as exc:
        do_set_rule_value(name, value, reason="本地规定", actor=world.sysadmin)
    assert message in str(exc.value)
    assert rulebook.value(name) == before and not RuleSetting.objects.exists()
    assert not AuditRecord.objects.filter(action="rules.change").exists()


def test_a_change_needs_a_reason(world):
    with pytest.raises(ValidationError) as exc:
        do_set_rule_value("branch_max_members", 40, reason=" ", actor=world.sysadmin)
    assert "调整依据" in str(exc.value)


def test_only_the_system_administrator_adjusts_values(world):
    for user in (world.organizer, world.secadmin, world.secretary):
        with pytest.raises(PermissionDenied):
            do_set_rule_value("branch_max_members", 40, reason="本地规定", actor=user)


def test_the_settings_page_adjusts_a_value_and_shows_a_refusal_beside_the_field(world, client):
    client.force_login(world.sysadmin)
    page = client.get("/settings/rules/")
    assert page.status_code == 200 and "督办整改时限" in page.content.decode()
    refused = client.post("/settings/rules/branch_max_members/", {"value": "[40]", "reason": "本地规定"})
    assert refused.status_code == 400 and "应为整数" in refused.content.decode()
    assert client.post("/settings/rules/branch_max_members/", {"value": "40", "reason": "本地规定"}).status_code == 302
    assert rulebook.value("branch_max_members") == 40
    assert client.post("/settings/rules/min_age_join/", {"value": "16", "reason": "x"}).status_code == 404
    client.force_login(world.organizer)
    assert client.get("/settings/rules/").status_code == 404


def test_the_api_adjusts_and_restores_a_value_with_the_same_checks(world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.sysadmin)
    listed = api.get("/api/v1/rule-settings/").json()
    assert {row["name"] for row in listed} == set(rulebook.ADJUSTABLE)
    refused = api.put("/api/v1/rule-settings/election_quorum/", {"value": [1, 1], "reason": "本地规定"}, format="json")
    assert refused.status_code == 400 and "应小于 1" in refused.content.decode()
    done = api.put("/api/v1/rule-settings/election_quorum/", {"value": [3, 4], "reason": "本地规定"}, format="json")
    assert done.status_code == 200 and done.json()["value"] == [3, 4] and done.json()["source"] == "app"
    reset = api.post("/api/v1/rule-settings/election_quorum/reset/", {"reason": "恢复"}, format="json")
    assert reset.json()["value"] == [4, 5] and reset.json()["source"] == "regulation"
    assert api.get("/api/v1/rule-settings/min_age_join/").status_code == 404
    api.force_authenticate(world.organizer)
    assert api.get("/api/v1/rule-settings/").status_code == 404


@pytest.mark.parametrize("name, value, message", [
    ("orglife_frequency", {**rulebook.regulation_value("orglife_frequency"), "party_lecture": "week"}, "只能是 month"),
    ("study_hour_kinds", ["party_lecture", "tea_party"], "中选择至少一项"),
    ("admission_approver_org_types", ["general_branch"], "中选择至少一项"),
    ("study_pace_red_share", [2, 1], "应小于 1"),
    ("checkin_radius_metres", 50000, "应在 1 到 20000 之间"),
])
def test_organisational_life_and_recruitment_values_are_checked_against_what_they_mean(world, name, value, message):
    with pytest.raises(ValidationError) as exc:
        do_set_rule_value(name, value, reason="本地规定", actor=world.sysadmin)
    assert message in str(exc.value)


def test_a_monthly_party_lecture_set_in_the_app_is_in_force(world):
    monthly = {**rulebook.regulation_value("orglife_frequency"), "party_lecture": "month"}
    do_set_rule_value("orglife_frequency", monthly, reason="某市委组织部规定党课每月一次", actor=world.sysadmin)
    assert rulebook.value("orglife_frequency")["party_lecture"] == "month"
    do_set_rule_value("checkin_radius_metres", 2000, reason="园区范围较大", actor=world.sysadmin)
    assert rulebook.value("checkin_radius_metres") == 2000


def test_every_adjustable_value_is_a_rule_with_a_citation_and_its_regulation_value_passes_its_own_check():
    from dangjian.core.rule_settings import clean_value

    for name in rulebook.ADJUSTABLE:
        assert name in rulebook.VERSIONS[-1].values and rulebook.citation(name), name
        assert clean_value(name, rulebook.regulation_value(name)) == rulebook.regulation_value(name), name
