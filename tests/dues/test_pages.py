"""Dues pages: the branch sheet records and corrects payments; a member sees and declares their own."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.dues import actions
from dangjian.dues.models import DuesPayment, DuesStandard
from dangjian.dues.months import add_months, month_of

pytestmark = pytest.mark.django_db
THIS_MONTH = month_of(dt.date.today())


def test_secretary_sets_a_standard_records_a_payment_and_reverses_it_on_the_sheet(world, client):
    member = world.members["BR1"][1]
    client.force_login(world.secretary)
    page = client.post(f"/dues/standard/?member={member.pk}", {
        "member": member.pk, "category": "employed", "base_kind": "monthly", "base": "8000",
        "effective_from": f"{add_months(THIS_MONTH, -1):%Y-%m}"})
    assert page.status_code == 302
    assert actions.standard_for(member, THIS_MONTH).monthly_amount == Decimal("120.00")
    sheet = client.get(f"/dues/?org={world.br1.pk}&month={THIS_MONTH:%Y-%m}").content.decode()
    assert member.name in sheet and "120.00" in sheet and "登记缴纳" in sheet
    form = {"action": "pay", "member": member.pk, "key": "k-1", "first_month": f"{add_months(THIS_MONTH, -1):%Y-%m}",
            "last_month": f"{THIS_MONTH:%Y-%m}", "method": "cash", "paid_on": dt.date.today().isoformat(),
            "org": world.br1.pk, "month": f"{THIS_MONTH:%Y-%m}"}
    client.post("/dues/", form)
    client.post("/dues/", form)  # a double click: the same key pays nothing more
    assert DuesPayment.objects.filter(member=member, active=True).count() == 2
    payment = DuesPayment.objects.get(member=member, bill__month=THIS_MONTH)
    client.post("/dues/", {"action": "reverse", "payment": payment.pk, "reason": "金额登记错误", "org": world.br1.pk})
    assert not DuesPayment.objects.get(pk=payment.pk).active


def test_a_payment_outside_the_window_is_refused_with_a_message_and_nothing_written(world, client):
    member = world.members["BR1"][1]
    actions.do_set_standard(member, category="employed", base="3000", effective_from=add_months(THIS_MONTH, -12),
                            actor=world.secretary)
    client.force_login(world.secretary)
    response = client.post("/dues/", {
        "action": "pay", "member": member.pk, "key": "k-2", "first_month": f"{add_months(THIS_MONTH, -9):%Y-%m}",
        "last_month": f"{add_months(THIS_MONTH, -9):%Y-%m}", "method": "cash", "paid_on": dt.date.today().isoformat(),
        "org": world.br1.pk}, follow=True)
    assert "超过补缴期限" in response.content.decode()
    assert not DuesPayment.objects.exists()


def test_another_branchs_member_cannot_be_paid_for(world, client):
    client.force_login(world.secretary)
    foreign = world.members["BR2"][0]
    response = client.post("/dues/", {
        "action": "pay", "member": foreign.pk, "key": "k-3", "first_month": f"{THIS_MONTH:%Y-%m}",
        "last_month": f"{THIS_MONTH:%Y-%m}", "method": "cash", "paid_on": dt.date.today().isoformat()})
    assert response.status_code == 404
    assert client.get(f"/dues/standard/?member={foreign.pk}").status_code == 404
    assert client.get(f"/dues/?org={world.br2.pk}").status_code == 404


def test_a_member_declares_a_standard_and_sees_bills_and_payments(world, client):
    client.force_login(world.member_user)
    response = client.post("/dues/me/", {"category": "retired", "base": "4000",
                                         "effective_from": f"{THIS_MONTH:%Y-%m}"})
    assert response.status_code == 302
    standard = DuesStandard.objects.get(member=world.own_member)
    assert (standard.status, standard.monthly_amount) == ("declared", Decimal("20.00"))
    actions.do_confirm_standard(standard, actor=world.secretary)
    actions.do_record_payment(world.own_member, months=[THIS_MONTH], actor=world.secretary, idempotency_key="k-4")
    page = client.get("/dues/me/").content.decode()
    assert "20.00" in page and "已交" in page and "第五条" in page
    assert client.get("/dues/").status_code == 404  # the branch sheet is not a member's page


def test_reports_download_as_workbooks_with_exact_amounts(world, client):
    import io

    from python_calamine import CalamineWorkbook

    member = world.members["BR1"][1]
    actions.do_set_standard(member, category="employed", base="3000.01", effective_from=THIS_MONTH,
                            actor=world.secretary)
    actions.do_record_payment(member, months=[THIS_MONTH], actor=world.secretary, idempotency_key="k-5")
    actions.do_record_voluntary_payment(member, amount="1200", actor=world.secretary, idempotency_key="k-6")
    client.force_login(world.committee_organizer)
    month = f"{THIS_MONTH:%Y-%m}"

    def rows(report):
        response = client.get("/dues/report.xlsx", {"report": report, "org": world.sta.pk, "month": month})
        assert response.status_code == 200
        return CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content))
                                              ).get_sheet_by_index(0).to_python()

    sheet = rows("sheet")
    line = next(r for r in sheet if r[1] == member.name)
    assert line[4:6] == [30.0, 30.0] and line[7] == "现金（支部收缴）"
    summary = rows("summary")
    assert summary[1][0].endswith("（合计）") and summary[1][1:5] == [1, 30.0, 1, 30.0]
    year = rows("year")
    assert (year[-3][0], year[-3][2], year[-3][3]) == ("全年合计", 30.0, 1)
    assert year[-1][:3] == ["其中全额上缴中央", "", 1200.0]
    client.force_login(world.secretary2)
    assert client.get("/dues/report.xlsx", {"report": "sheet", "org": world.br1.pk}).status_code == 404


def test_relief_is_proposed_on_the_page_and_approved_by_the_committee_on_its_sheet(world, client):
    member = world.members["BR1"][1]
    actions.do_set_standard(member, category="employed", base="4000", effective_from=THIS_MONTH,
                            actor=world.secretary)
    client.force_login(world.secretary)
    bad = client.post(f"/dues/relief/?member={member.pk}", {
        "member": member.pk, "kind": "reduce", "monthly_amount": "", "first_month": f"{THIS_MONTH:%Y-%m}",
        "last_month": f"{THIS_MONTH:%Y-%m}", "discussed_on": dt.date.today().isoformat(), "reason": "家庭困难"})
    assert bad.status_code == 400 and "减免后每月交纳的金额" in bad.content.decode()
    client.post(f"/dues/relief/?member={member.pk}", {
        "member": member.pk, "kind": "exempt", "first_month": f"{THIS_MONTH:%Y-%m}",
        "last_month": f"{THIS_MONTH:%Y-%m}", "discussed_on": dt.date.today().isoformat(), "reason": "失业在家无收入"})
    assert "待上级党委审批" in client.get(f"/dues/?org={world.br1.pk}").content.decode()
    client.force_login(world.committee_organizer)
    sheet = client.get(f"/dues/?org={world.sta.pk}").content.decode()
    assert "批准" in sheet and "失业在家无收入" in sheet
    from dangjian.dues.models import DuesRelief

    relief = DuesRelief.objects.get()
    client.post("/dues/", {"action": "approve_relief", "relief": relief.pk, "org": world.sta.pk})
    assert DuesRelief.objects.get().state == "approved"


def test_a_member_pays_online_once_even_when_the_channel_confirms_twice(world, client):
    from dangjian.dues import payments
    from dangjian.dues.models import PaymentOrder

    member = world.own_member
    actions.do_set_standard(member, category="employed", base="2000", effective_from=add_months(THIS_MONTH, -1),
                            actor=world.secretary)
    client.force_login(world.member_user)
    page = client.get("/dues/me/").content.decode()
    assert "在线交纳" in page
    response = client.post("/dues/me/", {"action": "pay_online",
                                         "months": [f"{add_months(THIS_MONTH, -1):%Y-%m}", f"{THIS_MONTH:%Y-%m}"]})
    order = PaymentOrder.objects.get()
    assert response.url == f"/dues/pay/fake/?order={order.order_id}" and order.amount == Decimal("20.00")
    checkout = client.get(response.url).content.decode()
    assert "20.00" in checkout and "确认支付" in checkout
    channel = payments.provider()
    forged = {"order_id": order.order_id, "paid": "1", "external_ref": "X", "signature": "0" * 64}
    assert client.post("/dues/pay/callback/", forged).status_code == 400
    assert not DuesPayment.objects.exists()
    signed = {"order_id": order.order_id, "paid": "1", "external_ref": "X",
              "signature": channel.sign(order.order_id, True, "X")}
    client.post("/dues/pay/callback/", signed)
    client.post("/dues/pay/callback/", signed)  # the channel retries its notification
    assert DuesPayment.objects.filter(member=member, active=True, method="online").count() == 2
    assert PaymentOrder.objects.get().state == "paid"
    assert "在线交纳" not in client.get("/dues/me/").content.decode()  # nothing left to pay


def test_an_order_paid_at_the_branch_meanwhile_is_marked_for_refund_not_paid_twice(world, client):
    from dangjian.dues import payments
    from dangjian.dues.models import PaymentOrder

    member = world.own_member
    actions.do_set_standard(member, category="employed", base="2000", effective_from=THIS_MONTH,
                            actor=world.secretary)
    order = actions.do_start_online_payment(member, months=[THIS_MONTH], actor=world.member_user)
    actions.do_record_payment(member, months=[THIS_MONTH], actor=world.secretary, idempotency_key="cash-1")
    channel = payments.provider()
    client.post("/dues/pay/callback/", {"order_id": order.order_id, "paid": "1", "external_ref": "Y",
                                        "signature": channel.sign(order.order_id, True, "Y")})
    assert PaymentOrder.objects.get().state == "refund"
    assert DuesPayment.objects.filter(member=member, active=True).count() == 1


def test_a_member_in_arrears_is_reminded_on_the_home_page(world, client):
    member = world.own_member
    actions.do_set_standard(member, category="employed", base="2000", effective_from=add_months(THIS_MONTH, -2),
                            actor=world.secretary)
    for n in (1, 2):
        actions.do_generate_bills(world.br1, add_months(THIS_MONTH, -n), actor=world.secretary)
    client.force_login(world.member_user)
    assert "您已连续 2 个月未交纳党费" in client.get("/").content.decode()
    actions.do_record_payment(member, months=[add_months(THIS_MONTH, -2), add_months(THIS_MONTH, -1)],
                              actor=world.secretary, idempotency_key="k-9")
    assert "未交纳党费" not in client.get("/").content.decode()


def test_rules_are_read_as_in_force_on_the_date_of_the_event(monkeypatch):
    from dangjian.core import rulebook
    from dangjian.dues.calculator import calculate

    future = rulebook.RuleVersion("2099", dt.date(2099, 1, 1), {
        **rulebook.VERSIONS[-1].values, "dues_employed_brackets": [["100000", "0.001"], [None, "0.002"]]})
    monkeypatch.setattr(rulebook, "VERSIONS", [*rulebook.VERSIONS, future])
    assert calculate("employed", "5000", dt.date(2098, 12, 31)).amount == Decimal("50.00")
    assert calculate("employed", "5000", dt.date(2099, 1, 1)).amount == Decimal("5.00")
