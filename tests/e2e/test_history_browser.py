"""In a real browser: a street's organisation department merges two branches, then reads the street's counts as of
the day before the merge (the old tree) and the day of it (the new one)."""
from __future__ import annotations

import datetime as dt

import pytest

from dangjian.orgs.models import Organization

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_a_merge_keeps_the_past_and_the_history_page_shows_both_days(world, live_server, browser, shot):
    day = dt.date.today() - dt.timedelta(days=30)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, live_server, "organizer", world.password)
    page.goto(f"{live_server.url}/orgs/{world.br2.pk}/")
    page.get_by_role("link", name="合并到…").click()
    page.get_by_role("button", name="确认合并").click()  # empty: refused beside the fields, nothing changes
    page.wait_for_selector("text=请填写合并原因")
    assert Organization.objects.get(pk=world.br2.pk).is_active
    page.select_option("#id_into", str(world.br1.pk))
    page.fill("#id_effective_on", day.isoformat())
    page.fill("#id_reason", "两个支部党员人数较少，合并设置")
    page.get_by_role("button", name="确认合并").click()
    page.wait_for_selector("text=已完成合并")
    page.goto(f"{live_server.url}/orgs/{world.sta.pk}/")
    page.get_by_role("link", name="历史查询").click()
    page.fill("#id_date", (day - dt.timedelta(days=1)).isoformat())
    page.get_by_role("button", name="查询").click()
    assert page.get_by_test_id("as-of-total").inner_text() == "6"
    assert "已撤销" not in page.content()
    shot(page, "40-history-before-merge")
    page.fill("#id_date", day.isoformat())
    page.get_by_role("button", name="查询").click()
    page.wait_for_selector("text=已撤销")
    assert page.get_by_test_id("as-of-total").inner_text() == "6"
    shot(page, "41-history-after-merge")
