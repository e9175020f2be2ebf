"""The dues ledger: standards, bills, payments counted exactly once, reversals, windows, arrears."""
from __future__ import annotations

import datetime as dt
import threading
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404

from dangjian.core.models import AuditRecord
from dangjian.dues import actions
from dangjian.dues.models import DuesBill, DuesPayment, DuesStandard
from dangjian.dues.months import add_months, month_of
from dangjian.dues.queries import arrears_by_member

THIS_MONTH = month_of(dt.date.today())


def key():
    return uuid.uuid4().hex


def standard(world, member, base="5000", start=None, actor=None):
    return actions.do_set_standard(member, category="employed", base=base, base_kind="monthly",
                                   effective_from=start or add_months(THIS_MONTH, -12), actor=actor or world.secretary)


def pay(world, member, *months, k=None, actor=None):
    return actions.do_record_payment(member, months=list(months), actor=actor or world.secretary,
                                     idempotency_key=k or key())


@pytest.mark.django_db
def test_the_branch_sets_a_confirmed_standard_and_a_member_only_declares_one(world):
    member = world.members["BR1"][1]
    s = standard(world, member)
    assert (s.status, s.monthly_amount, s.rate) == ("confirmed", Decimal("50.00"), Decimal("0.0100"))
    own = world.own_member
    declared = actions.do_set_standard(own, category="retired", base="6000", effective_from=THIS_MONTH,
                                       actor=world.member_user)
    assert declared.status == "declared"
    assert actions.standard_for(own, THIS_MONTH) is None  # not in force until the branch confirms
    actions.do_confirm_standard(declared, actor=world.secretary)
    assert actions.standard_for(own, THIS_MONTH).monthly_amount == Decimal("60.00")


@pytest.mark.django_db
def test_another_branch_cannot_set_or_confirm_standards(world):
    with pytest.raises(Http404):
        standard(world, world.members["BR1"][1], actor=world.secretary2)


@pytest.mark.django_db
def test_each_member_month_is_paid_exactly_once_and_a_retry_with_the_same_key_pays_nothing_more(world):
    member = world.members["BR1"][1]
    standard(world, member)
    k = key()
    first = pay(world, member, THIS_MONTH, k=k)
    again = pay(world, member, THIS_MONTH, k=k)
    assert [p.pk for p in first] == [p.pk for p in again]
    with pytest.raises(ValidationError, match="已经缴纳，不能重复缴纳"):
        pay(world, member, THIS_MONTH)
    assert DuesPayment.objects.filter(member=member, active=True).count() == 1


@pytest.mark.django_db
def test_a_reversal_keeps_the_payment_on_record_and_reopens_the_month(world):
    member = world.members["BR1"][1]
    standard(world, member)
    [payment] = pay(world, member, THIS_MONTH)
    with pytest.raises(ValidationError):
        actions.do_reverse_payment(payment, reason="", actor=world.secretary)
    actions.do_reverse_payment(payment, reason="登记错了人", actor=world.secretary)
    payment.refresh_from_db()
    assert (payment.active, payment.amount, payment.reversal_reason) == (False, Decimal("50.00"), "登记错了人")
    [again] = pay(world, member, THIS_MONTH)
    assert again.active and DuesPayment.objects.filter(member=member).count() == 2
    assert AuditRecord.objects.filter(action="dues.reverse").count() == 1


@pytest.mark.django_db
def test_back_payment_and_prepayment_are_limited_to_six_months(world):
    member = world.members["BR1"][1]
    standard(world, member, start=add_months(THIS_MONTH, -24))
    pay(world, member, add_months(THIS_MONTH, -6), add_months(THIS_MONTH, 6))
    with pytest.raises(ValidationError, match="超过补缴期限"):
        pay(world, member, add_months(THIS_MONTH, -7))
    with pytest.raises(ValidationError, match="超出预缴期限"):
        pay(world, member, add_months(THIS_MONTH, 7))


@pytest.mark.django_db
def test_a_payment_of_several_months_is_all_or_nothing(world):
    member = world.members["BR1"][1]
    standard(world, member)
    pay(world, member, THIS_MONTH)
    with pytest.raises(ValidationError):
        pay(world, member, add_months(THIS_MONTH, -1), THIS_MONTH)
    assert not DuesPayment.objects.filter(member=member, bill__month=add_months(THIS_MONTH, -1)).exists()


@pytest.mark.django_db
def test_a_pay_rise_applies_from_the_month_it_is_received_to_unpaid_months_only(world):
    member = world.members["BR1"][1]
    standard(world, member, base="5000", start=add_months(THIS_MONTH, -3))
    pay(world, member, add_months(THIS_MONTH, -3))
    actions.do_generate_bills(world.br1, add_months(THIS_MONTH, -2), actor=world.secretary)
    standard(world, member, base="8000", start=add_months(THIS_MONTH, -2))
    bills = {b.month: b.amount for b in DuesBill.objects.filter(member=member)}
    assert bills[add_months(THIS_MONTH, -3)] == Decimal("50.00")
    assert bills[add_months(THIS_MONTH, -2)] == Decimal("120.00")
    with pytest.raises(ValidationError, match="已有缴纳记录"):
        standard(world, member, base="1000", start=add_months(THIS_MONTH, -3))


@pytest.mark.django_db
def test_probationary_members_pay_from_the_branch_meeting_that_accepted_them(world):
    member = world.members["BR1"][2]
    member.joined_on, member.category, member.converted_on = add_months(THIS_MONTH, -2), "probationary", None
    member.save()
    with pytest.raises(ValidationError, match="入党之日起"):
        standard(world, member, start=add_months(THIS_MONTH, -3))
    standard(world, member, start=add_months(THIS_MONTH, -2))
    with pytest.raises(ValidationError):
        pay(world, member, add_months(THIS_MONTH, -3))


@pytest.mark.django_db
def test_bills_are_made_for_paying_members_with_a_confirmed_standard_once(world):
    for member in world.members["BR1"]:
        standard(world, member)
    assert actions.do_generate_bills(world.sta, THIS_MONTH, actor=world.committee_organizer) == 3
    assert actions.do_generate_bills(world.sta, THIS_MONTH, actor=world.committee_organizer) == 0


@pytest.mark.django_db
def test_a_voluntary_payment_of_1000_yuan_or_more_goes_to_the_centre(world):
    member = world.members["BR1"][1]
    small = actions.do_record_voluntary_payment(member, amount="999.99", actor=world.secretary, idempotency_key=key())
    large = actions.do_record_voluntary_payment(member, amount="1000", actor=world.secretary, idempotency_key=key())
    assert (small.for_central, large.for_central) == (False, True)


@pytest.mark.django_db
def test_arrears_count_consecutive_unpaid_months_ending_last_month(world):
    member = world.members["BR1"][1]
    standard(world, member, start=add_months(THIS_MONTH, -8))
    for n in range(1, 9):
        actions.do_generate_bills(world.br1, add_months(THIS_MONTH, -n), actor=world.secretary)
    pay(world, member, add_months(THIS_MONTH, -6))  # -8, -7 unpaid but outside the window; -5…-1 unpaid
    arrears = arrears_by_member(DuesBill.objects.filter(member=member))[member.pk]
    assert (arrears.consecutive, arrears.total) == (5, 7)


@pytest.mark.django_db
def test_six_months_unpaid_is_a_red_item_on_the_secretarys_home_page(world, client):
    member = world.members["BR1"][1]
    standard(world, member, start=add_months(THIS_MONTH, -6))
    for n in range(1, 7):
        actions.do_generate_bills(world.br1, add_months(THIS_MONTH, -n), actor=world.secretary)
    client.force_login(world.secretary)
    page = client.get("/").content.decode()
    assert "连续 6 个月未交纳党费" in page and "自行脱党" in page
    sheet = client.get("/dues/?arrears=red").content.decode()
    assert member.name in sheet


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_attempts_to_pay_one_member_month_make_exactly_one_payment(world):
    member = world.members["BR1"][1]
    standard(world, member)
    barrier, outcomes = threading.Barrier(50), []

    def attempt():
        from django.db import connections

        try:
            barrier.wait()
            pay(world, member, THIS_MONTH)
            outcomes.append("paid")
        except ValidationError as exc:
            outcomes.append("refused" if "不能重复缴纳" in str(exc) else f"other: {exc}")
        except Exception as exc:  # noqa: BLE001 - any other outcome is a failure of the test
            outcomes.append(f"error: {type(exc).__name__}: {exc}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(outcomes)) == ["paid", "refused"], outcomes
    assert outcomes.count("paid") == 1
    assert DuesPayment.objects.filter(member=member, active=True).count() == 1
    assert connection.vendor in ("sqlite", "postgresql")


@pytest.mark.django_db
def test_relief_is_discussed_by_the_branch_and_decided_only_by_the_next_higher_committee(world):
    member = world.members["BR1"][1]
    standard(world, member, start=add_months(THIS_MONTH, -2))
    actions.do_generate_bills(world.br1, add_months(THIS_MONTH, -1), actor=world.secretary)
    relief = actions.do_propose_relief(member, kind="reduce", monthly_amount="5", first_month=add_months(THIS_MONTH, -1),
                                       last_month=add_months(THIS_MONTH, 3), reason="大病住院，收入中断",
                                       discussed_on=dt.date.today(), actor=world.secretary)
    with pytest.raises(Http404):  # the branch cannot approve its own proposal
        actions.do_decide_relief(relief, approve=True, actor=world.secretary)
    with pytest.raises(ValidationError, match="填写意见"):
        actions.do_decide_relief(relief, approve=False, actor=world.committee_organizer)
    actions.do_decide_relief(relief, approve=True, note="同意", actor=world.committee_organizer)
    bill = DuesBill.objects.get(member=member, month=add_months(THIS_MONTH, -1))
    assert bill.amount == Decimal("5.00")
    [payment] = pay(world, member, THIS_MONTH)
    assert payment.amount == Decimal("5.00")


@pytest.mark.django_db
def test_exempt_months_cannot_be_paid_and_are_not_arrears(world):
    member = world.members["BR1"][1]
    standard(world, member, start=add_months(THIS_MONTH, -3))
    relief = actions.do_propose_relief(member, kind="exempt", first_month=add_months(THIS_MONTH, -3),
                                       last_month=THIS_MONTH, reason="失业，无收入来源",
                                       discussed_on=dt.date.today(), actor=world.secretary)
    actions.do_decide_relief(relief, approve=True, actor=world.committee_organizer)
    for n in range(1, 4):
        actions.do_generate_bills(world.br1, add_months(THIS_MONTH, -n), actor=world.secretary)
    with pytest.raises(ValidationError, match="免交"):
        pay(world, member, add_months(THIS_MONTH, -1))
    assert member.pk not in arrears_by_member(DuesBill.objects.filter(member=member))


def test_a_member_who_came_with_a_letter_is_billed_only_from_the_month_after_the_dues_it_says_were_paid(world):
    from factories import member_data

    from dangjian.members.actions import do_register_incoming_letter

    reported = add_months(THIS_MONTH, -2) + dt.timedelta(days=14)  # mid-month, two months ago
    paid_until = add_months(THIS_MONTH, -2)  # the letter: paid up to that month
    letter = {"number": "外-001", "from_org_name": "中共外省某支部委员会", "issued_on": reported - dt.timedelta(days=5),
              "valid_until": reported + dt.timedelta(days=60), "received_on": reported, "dues_paid_until": paid_until}
    member = do_register_incoming_letter(org=world.br1, letter=letter, member_data=member_data(),
                                         actor=world.secretary).member
    standard(world, member, start=add_months(THIS_MONTH, -4))
    for back in (4, 3, 2, 1):
        actions.do_generate_bills(world.br1, add_months(THIS_MONTH, -back), actor=world.secretary)
    months = set(DuesBill.objects.filter(member=member).values_list("month", flat=True))
    assert months == {add_months(THIS_MONTH, -1)}  # not before they came, not the month the letter covers
