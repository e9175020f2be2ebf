"""In a real browser: a member checks their dues on a phone; the secretary records a payment on the sheet."""
from __future__ import annotations

import datetime as dt

import pytest

from dangjian.dues import actions
from dangjian.dues.models import DuesPayment
from dangjian.dues.months import add_months, month_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
THIS_MONTH = month_of(dt.date.today())


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_member_on_a_phone_sees_the_standard_and_arrears_and_the_secretary_records_payment(
        world, live_server, browser, shot):
    member = world.own_member
    actions.do_set_standard(member, category="employed", base="6800", effective_from=add_months(THIS_MONTH, -4),
                            actor=world.secretary)
    for n in range(1, 5):
        actions.do_generate_bills(world.br1, add_months(THIS_MONTH, -n), actor=world.secretary)

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    login(phone, live_server, "member_user", world.password)
    phone.goto(f"{live_server.url}/dues/me/")
    assert "102.00" in phone.content()  # 6800 × 1.5%
    assert "连续 4 个月未交纳党费" in phone.get_by_test_id("my-arrears").inner_text()
    shot(phone, "20-dues-member-phone")

    desk = browser.new_page(viewport={"width": 1280, "height": 900})
    login(desk, live_server, "secretary", world.password)
    desk.goto(f"{live_server.url}/dues/?org={world.br1.pk}&month={add_months(THIS_MONTH, -4):%Y-%m}")
    row = desk.get_by_test_id(f"pay-{member.pk}")
    row.locator("input[name=last_month]").fill(f"{add_months(THIS_MONTH, -1):%Y-%m}")
    shot(desk, "21-dues-sheet")
    row.get_by_role("button", name="登记缴纳").click()
    desk.wait_for_selector("text=已登记")
    assert DuesPayment.objects.filter(member=member, active=True).count() == 4
    phone.goto(f"{live_server.url}/dues/me/")
    assert phone.get_by_test_id("my-arrears").count() == 0
