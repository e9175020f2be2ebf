"""In a real browser, with the real background worker: a secretary imports a roster with mistakes."""
from __future__ import annotations

import datetime as dt
import random

import pytest

import processes
from dangjian.exchange.models import ImportJob
from dangjian.members.models import Member
from factories import make_id_number

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def roster() -> bytes:
    import io

    import xlsxwriter

    rng = random.Random(5)
    good = [make_id_number(dt.date(1980, 1, 1) + dt.timedelta(days=n * 11), n % 2 == 0, rng) for n in range(6)]
    bad = good[0][:17] + ("1" if good[0][17] != "1" else "2")
    rows = [["姓名", "身份证号", "职业", "入党时间"]] + [[f"党员{n}", good[n], "工人", "2012-07-01"] for n in range(1, 6)]
    rows.append(["错号", bad, "工人", "2012-07-01"])
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    return buffer.getvalue()


def test_secretary_uploads_sees_every_error_confirms_and_watches_the_import_finish(
        world, live_server, browser, shot, settings, tmp_path):
    worker = processes.dangjian(["worker"], settings, tmp_path)
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "secretary")
        page.fill("#id_password", world.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")

        page.click("nav >> text=批量导入")
        page.wait_for_url("**/imports/")
        page.select_option("#id_org", str(world.br1.pk))
        page.set_input_files("#id_file", files=[{"name": "第一支部花名册.xlsx", "buffer": roster(),
                                                 "mimeType": "application/octet-stream"}])
        shot(page, "10-import-upload")
        page.click("main button:has-text('上传并校验')")
        page.wait_for_url("**/imports/*/")
        page.get_by_test_id("import-state").filter(has_text="校验完成，待确认").wait_for(timeout=60000)
        shot(page, "11-import-preview")
        assert page.get_by_test_id("count-new").inner_text() == "5"
        assert page.get_by_test_id("count-errors").inner_text() == "1"
        assert "公民身份号码校验位错误" in page.get_by_test_id("import-errors").inner_text()
        before = Member.objects.count()

        page.check("#keep_valid")
        page.get_by_test_id("confirm-import").click()
        page.get_by_test_id("import-state").filter(has_text="导入完成").wait_for(timeout=60000)
        shot(page, "12-import-done")
        assert Member.objects.count() == before + 5
        assert ImportJob.objects.get().state == ImportJob.State.DONE
        assert set(Member.objects.filter(org=world.br1, name__startswith="党员").values_list("name", flat=True)) == {
            f"党员{n}" for n in range(1, 6)}
    finally:
        worker.terminate()
        worker.wait(timeout=20)
