"""The rulebook: an event is judged by the rule version in force on its date (细则2014 before 2026-05-11,
细则2026 from that day), and a deployment may override [LOCAL] values through DANGJIAN_RULE_OVERRIDES."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured

from dangjian.core import rulebook


@pytest.mark.parametrize("day, version", [
    (dt.date(2014, 6, 10), "2014"),  # before the 2014 rules: the oldest version we hold
    (dt.date(2014, 6, 11), "2014"),
    (dt.date(2020, 1, 1), "2014"),
    (dt.date(2026, 5, 10), "2014"),
    (dt.date(2026, 5, 11), "2026"),  # 细则2026 issued by 中共中央办公厅 on 2026-05-11
    (dt.date(2030, 12, 31), "2026"),
])
def test_the_version_in_force_on_the_event_date_is_chosen(day, version):
    assert rulebook.version_at(day).name == version


def test_versions_are_in_date_order_and_share_the_same_rule_names():
    dates = [v.effective for v in rulebook.VERSIONS]
    assert dates == sorted(dates)
    names = {frozenset(v.values) for v in rulebook.VERSIONS}
    assert len(names) == 1


def test_every_rule_cites_its_regulation():
    for name in rulebook.VERSIONS[-1].values:
        assert rulebook.citation(name), name


def test_value_reads_the_version_of_the_date(monkeypatch):
    monkeypatch.delenv("DANGJIAN_RULE_OVERRIDES", raising=False)
    old = rulebook.RuleVersion("2014", dt.date(2014, 6, 11), {"min_age_join": 18, "x": 1})
    new = rulebook.RuleVersion("2026", dt.date(2026, 5, 11), {"min_age_join": 18, "x": 2})
    monkeypatch.setattr(rulebook, "VERSIONS", [old, new])
    assert rulebook.value("x", dt.date(2026, 5, 10)) == 1
    assert rulebook.value("x", dt.date(2026, 5, 11)) == 2


def test_today_is_the_default_date():
    assert rulebook.version_at() == rulebook.version_at(dt.date.today())


def test_a_deployment_override_replaces_the_value(monkeypatch):
    monkeypatch.setenv("DANGJIAN_RULE_OVERRIDES", '{"branch_max_members": 40}')
    assert rulebook.value("branch_max_members", dt.date(2020, 1, 1)) == 40
    assert rulebook.value("branch_max_members", dt.date(2027, 1, 1)) == 40
    assert rulebook.value("min_age_join", dt.date(2027, 1, 1)) == 18


def test_without_overrides_the_regulation_value_applies(monkeypatch):
    monkeypatch.delenv("DANGJIAN_RULE_OVERRIDES", raising=False)
    assert rulebook.value("branch_max_members") == 50


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"40"', '{"no_such_rule": 1}'])
def test_a_malformed_override_is_a_configuration_error_in_chinese(monkeypatch, raw):
    monkeypatch.setenv("DANGJIAN_RULE_OVERRIDES", raw)
    with pytest.raises(ImproperlyConfigured, match="DANGJIAN_RULE_OVERRIDES"):
        rulebook.value("branch_max_members")


def test_an_unknown_rule_name_is_a_programming_error():
    with pytest.raises(KeyError):
        rulebook.value("no_such_rule")


def test_member_age_rule_uses_the_override(world, monkeypatch):
    """The overridden value reaches the business rule (min_age_join is the same in both versions)."""
    from django.core.exceptions import ValidationError

    from dangjian.members import actions
    from factories import member_data

    data = member_data()
    joined = data["birth_date"].replace(year=data["birth_date"].year + 19)
    actions.do_create_member(data={**data, "joined_on": joined, "converted_on": None}, org=world.br1,
                             actor=world.secretary)
    monkeypatch.setenv("DANGJIAN_RULE_OVERRIDES", '{"min_age_join": 20}')
    data = member_data()
    with pytest.raises(ValidationError) as exc:
        actions.do_create_member(data={**data, "joined_on": data["birth_date"].replace(year=data["birth_date"].year + 19),
                                       "converted_on": None}, org=world.br1, actor=world.secretary)
    assert "年满 20 岁" in exc.value.message_dict["joined_on"][0]


def test_the_system_check_reports_a_malformed_override(monkeypatch):
    from dangjian.core.checks import rule_overrides_are_valid

    monkeypatch.setenv("DANGJIAN_RULE_OVERRIDES", '{"branch_max_member": 40}')
    errors = rule_overrides_are_valid(None)
    assert [e.id for e in errors] == ["dangjian.E004"] and "branch_max_member" in errors[0].msg
    monkeypatch.setenv("DANGJIAN_RULE_OVERRIDES", '{"branch_max_members": 40}')
    assert rule_overrides_are_valid(None) == []
