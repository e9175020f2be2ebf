"""A warning rule reads its parameters from the rulebook at each evaluation, so a value the system administrator
adjusts in the app changes what the next evaluation finds."""

from __future__ import annotations

import pytest

from dangjian.alerts import actions
from dangjian.alerts.models import Finding
from dangjian.core.rule_settings import do_set_rule_value

from .helpers import ON, unpaid_months

pytestmark = pytest.mark.django_db


def test_an_adjusted_value_changes_what_the_warning_engine_finds(world):
    unpaid_months(world, world.members["BR1"][1], 2)
    actions.do_run_evaluation(ON, codes=["dues_arrears"])
    assert not Finding.objects.exists()
    do_set_rule_value("dues_arrears_notice_months", 2, reason="本地规定提前提醒", actor=world.sysadmin)
    actions.do_run_evaluation(ON, codes=["dues_arrears"])
    assert Finding.objects.get().level == "yellow"
