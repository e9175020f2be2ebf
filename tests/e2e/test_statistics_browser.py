"""In a real browser: a street's 党委组织员 opens the annual statistics from the menu, is told in Chinese that a
future cut-off is refused, previews the 2025 tables and downloads the workbook."""
from __future__ import annotations

import io

import pytest
from python_calamine import CalamineWorkbook

from dangjian.core.models import AuditRecord

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_the_statistics_page_previews_the_tables_and_downloads_the_workbook(world, live_server, browser, shot):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    login(page, live_server, "committee_organizer", world.password)
    page.get_by_role("link", name="统计年报").click()
    page.select_option("#id_org", str(world.sta.pk))
    page.fill("#id_on", "2999-12-31")
    page.get_by_role("button", name="生成预览").click()
    page.wait_for_selector("text=统计截止日期不能晚于今天")
    assert "表1" not in page.content()
    page.fill("#id_on", "2025-12-31")
    page.get_by_role("button", name="生成预览").click()
    page.wait_for_selector("text=党员数量变化情况")
    row = page.locator("#table-membership_change tr", has_text="本年底党员数").first
    assert row.locator("td").first.inner_text() == "6"
    shot(page, "60-statistics-preview")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel").click()
    content = open(download.value.path(), "rb").read()
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    first = book.get_sheet_by_index(0).to_python()
    assert first[0][0] == "表1  党员数量变化情况"
    assert next(r for r in first if r and r[0] == "本年底党员数")[1] == 6
    assert AuditRecord.objects.filter(action="statistics.export", after__org="STA").count() == 1
