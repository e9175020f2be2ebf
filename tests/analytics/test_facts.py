"""The behaviour facts (行为数据库) are written by the actions themselves, in their transaction: a payment, a
reversal, a member's log-in, a rectification step, a transfer received and a status change each leave one typed
row; a refused action leaves none."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dangjian.accounts.actions import authenticate_password
from dangjian.analytics.models import Fact
from dangjian.dues import actions as dues
from dangjian.dues.months import add_months, month_of
from alerts.helpers import unpaid_months
from factories import PASSWORD

pytestmark = pytest.mark.django_db
THIS_MONTH = month_of(dt.date.today())


def paying(world, member):
    dues.do_set_standard(member, category="employed", base="5000", base_kind="monthly",
                         effective_from=add_months(THIS_MONTH, -12), actor=world.secretary)


def test_each_paid_month_is_a_fact_and_a_reversal_a_negative_one(world):
    member = world.members["BR1"][1]
    paying(world, member)
    payments = dues.do_record_payment(member, months=[add_months(THIS_MONTH, -1), THIS_MONTH], actor=world.secretary,
                                      idempotency_key=uuid.uuid4().hex)
    facts = list(Fact.objects.filter(kind="dues_payment").order_by("id"))
    assert [(f.member_id, f.org_id, f.quantity) for f in facts] == [(member.pk, world.br1.pk, payments[0].amount)] * 2
    assert {f.detail["month"] for f in facts} == {f"{add_months(THIS_MONTH, -1):%Y-%m}", f"{THIS_MONTH:%Y-%m}"}
    dues.do_reverse_payment(payments[0], reason="录入错误", actor=world.secretary)
    reversal = Fact.objects.get(kind="dues_reversal")
    assert reversal.quantity == -payments[0].amount and reversal.ref == f"dues.duespayment:{payments[0].pk}"
    assert sum(f.quantity for f in Fact.objects.filter(member=member)) == payments[1].amount


def test_a_refused_payment_leaves_no_fact(world):
    member = world.members["BR1"][1]
    paying(world, member)
    dues.do_record_payment(member, months=[THIS_MONTH], actor=world.secretary, idempotency_key=uuid.uuid4().hex)
    with pytest.raises(ValidationError):
        dues.do_record_payment(member, months=[add_months(THIS_MONTH, -1), THIS_MONTH], actor=world.secretary,
                               idempotency_key=uuid.uuid4().hex)
    assert Fact.objects.filter(kind="dues_payment").count() == 1


def test_a_members_log_in_is_a_fact_and_an_officials_is_not(world):
    assert authenticate_password("member_user", PASSWORD) is not None
    assert authenticate_password("secretary", PASSWORD) is not None
    assert authenticate_password("member_user", "wrong") is None
    login = Fact.objects.get(kind="login")
    assert (login.member_id, login.org_id, login.on) == (world.own_member.pk, world.br1.pk, dt.date.today())


def test_a_status_change_and_a_rectification_step_are_facts(world):
    from dangjian.alerts import actions as alerts
    from dangjian.alerts.models import RectificationTask
    from dangjian.members.actions.archive import do_change_member_status

    member = world.members["BR2"][2]
    do_change_member_status(member, status="deceased", on=dt.date.today(), reason="病故", actor=world.secretary2)
    change = Fact.objects.get(kind="status_change")
    assert change.detail == {"from": "normal", "to": "deceased"} and change.org_id == world.br2.pk

    unpaid_months(world, world.members["BR1"][1], 3, on=dt.date.today())
    alerts.do_run_evaluation(codes=["dues_arrears"])
    task = RectificationTask.objects.get()
    alerts.do_acknowledge_task(task, actor=world.secretary)
    step = Fact.objects.get(kind="task_step")
    assert step.org_id == world.br1.pk and step.detail["step"] == "acknowledged" and step.quantity == Decimal(1)
