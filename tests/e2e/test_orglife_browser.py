"""In a real browser: a secretary plans a meeting from the calendar and opens the check-in screen; a member checks
in from a phone-sized viewport by opening the address the code encodes; a replay says 已签到."""
from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.orglife.models import Attendance

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_a_secretary_plans_a_meeting_and_a_member_checks_in_from_a_phone(world, live_server, browser, shot):
    desk = browser.new_page(viewport={"width": 1280, "height": 900})
    login(desk, live_server, "secretary", world.password)
    desk.get_by_role("link", name="组织生活").first.click()
    desk.get_by_test_id("new-meeting").click()
    start = timezone.localtime() - dt.timedelta(minutes=5)
    desk.select_option("#id_kind", "theme_day")
    desk.fill("#id_topic", "主题党日：学习党章")
    desk.fill("#id_starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    desk.fill("#id_ends_at", (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    desk.fill("#id_place", "党员活动室")
    desk.get_by_test_id("orglife-form").get_by_role("button", name="保存").click()
    desk.wait_for_selector("[data-testid=attendance]")
    assert world.own_member.name in desk.get_by_test_id("attendance").inner_text()
    desk.get_by_test_id("show-qr").click()
    code = desk.wait_for_selector("[data-testid=qr-svg]")
    address = code.get_attribute("data-url")
    assert desk.locator("[data-testid=qr-svg] svg path").count() == 1
    shot(desk, "40-orglife-qr-screen")

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    login(phone, live_server, "member_user", world.password)
    phone.goto(address)
    phone.get_by_test_id("checkin-button").click()
    phone.wait_for_selector("[data-testid=checked-in]")
    assert "已签到" in phone.get_by_test_id("checked-in").inner_text()
    shot(phone, "41-orglife-phone-checked-in")
    phone.goto(address)  # the same code again: the page says so and nothing changes
    assert "已签到" in phone.content()
    assert Attendance.objects.filter(member=world.own_member, presence="present").count() == 1
    phone.goto(f"{live_server.url}/orglife/me/")
    assert "主题党日：学习党章" in phone.get_by_test_id("my-upcoming").inner_text()
    shot(phone, "42-orglife-my-page")

    desk.reload()
    desk.wait_for_selector("[data-testid=present-count]")
    assert "已签到 1 人" in desk.get_by_test_id("present-count").inner_text()
