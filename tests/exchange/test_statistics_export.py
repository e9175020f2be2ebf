"""The statistics page, workbook and API: the workbook read back cell by cell, every export audited, the scope
(an organisation outside it is a 404) and bad parameters (a Chinese message, nothing exported)."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client
from python_calamine import CalamineWorkbook

from dangjian.core import audit
from dangjian.core.models import AuditRecord
from dangjian.exchange.statistics.forms import last_year_end
from dangjian.exchange.statistics.report import annual_report
from dangjian.exchange.statistics.workbook import FIRST_DATA_ROW, HEADER_ROW, sheet_name

from .statistics_data import YEAR_END, a_year_of_movements

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUERY = "org={org}&on=2025-12-31"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def sheets(content: bytes) -> dict[str, list[list]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def exports():
    return list(AuditRecord.objects.filter(action="statistics.export").order_by("seq"))


def row_of(rows, label):
    return next(r for r in rows if r and r[0] == label)


def test_the_workbook_holds_every_table_with_title_headers_and_figures_read_back_cell_by_cell(world):
    a_year_of_movements(world)
    response = client_for(world.organizer).get(f"/statistics/annual.xlsx?{QUERY.format(org=world.sta.pk)}")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    book = sheets(body(response))
    report = annual_report(world.sta, YEAR_END)
    assert list(book) == [sheet_name(i, t) for i, t in enumerate(report.tables, start=1)]
    change = book[sheet_name(1, report.tables[0])]
    assert change[0][0] == "表1  党员数量变化情况"
    assert "中共东华街道工作委员会" in change[1][0] and "2025年12月31日" in change[1][0]
    assert change[HEADER_ROW][:2] == ["项目", "人数"]
    assert change[FIRST_DATA_ROW][:2] == ["上年底（年初）党员数", 5]
    assert row_of(change, "本年增加党员")[1] == 7 and row_of(change, "本年减少党员")[1] == 5
    assert row_of(change, "开除党籍")[1] == 1 and row_of(change, "本年底党员数")[1] == 7
    basic = book[sheet_name(2, report.tables[1])]
    assert basic[HEADER_ROW][:3] == ["项目", "人数", "占党员总数（%）"]
    assert row_of(basic, "党员总数")[1:3] == [7, 100]
    assert row_of(basic, "女党员")[1:3] == [2, 28.6]
    training = book[sheet_name(9, report.tables[8])]
    assert any(str(r[0]).startswith("注：入党积极分子培训") for r in training)
    # Every figure of every table is in its cell.
    for index, table in enumerate(report.tables, start=1):
        rows = book[sheet_name(index, table)]
        line = FIRST_DATA_ROW
        for row in table.rows:
            if not row.note:
                cells = rows[line][1:1 + len(row.values)]
                expected = [("" if v is None else float(v)) for v in row.values]
                assert [("" if c == "" else float(c)) for c in cells] == expected, (table.key, row.label)
            line += 1


def test_every_download_is_audited_with_the_organisation_and_the_day(world):
    client = client_for(world.committee_organizer)
    body(client.get(f"/statistics/annual.xlsx?{QUERY.format(org=world.sta.pk)}"))
    api = client.get(f"/api/v1/statistics/annual?{QUERY.format(org=world.br1.pk)}&format=xlsx")
    assert api.status_code == 200 and api["Content-Type"] == XLSX
    body(api)
    client.get(f"/api/v1/statistics/annual?{QUERY.format(org=world.br1.pk)}")
    records = exports()
    assert [(r.after["org"], r.after["on"], r.after["format"]) for r in records] == [
        ("STA", "2025-12-31", "xlsx"), ("BR1", "2025-12-31", "xlsx"), ("BR1", "2025-12-31", "json")]
    assert all(r.actor_id == world.committee_organizer.pk for r in records)
    assert "中共东华街道工作委员会" in records[0].detail
    assert audit.verify().ok
    # The preview is no export.
    client.get(f"/statistics/?{QUERY.format(org=world.sta.pk)}")
    assert len(exports()) == 3


def test_the_api_returns_the_tables_as_json(world):
    a_year_of_movements(world)
    response = client_for(world.organizer).get(f"/api/v1/statistics/annual?{QUERY.format(org=world.sta.pk)}")
    assert response.status_code == 200
    data = response.json()
    assert data["org"]["code"] == "STA" and data["on"] == "2025-12-31" and data["start"] == "2024-12-31"
    tables = {t["key"]: t for t in data["tables"]}
    assert set(tables) == {"membership_change", "basic", "cross_education", "cross_age_band", "cross_occupation",
                           "recruitment", "leaving", "appraisal", "training"}
    change = {r["label"]: r["values"][0] for r in tables["membership_change"]["rows"]}
    assert change["上年底（年初）党员数"] == 5 and change["本年底党员数"] == 7
    basic = {r["label"]: r["values"] for r in tables["basic"]["rows"]}
    assert basic["女党员"] == [2, 28.6]
    json.dumps(data)


def test_the_page_previews_the_tables_and_offers_the_download(world):
    a_year_of_movements(world)
    client = client_for(world.committee_organizer)
    page = client.get("/statistics/")
    html = page.content.decode()
    assert page.status_code == 200 and f'value="{last_year_end().isoformat()}"' in html
    assert "统计年报" in client.get("/").content.decode()
    page = client.get(f"/statistics/?{QUERY.format(org=world.sta.pk)}")
    html = page.content.decode()
    assert page.status_code == 200
    assert "表1" in html and "党员数量变化情况" in html and "民主评议党员情况" in html
    assert f"/statistics/annual.xlsx?org={world.sta.pk}" in html
    assert f"/statistics/?org={world.sta.pk}" in client.get(f"/orgs/{world.sta.pk}/").content.decode()
    only_org = client.get(f"/statistics/?org={world.br1.pk}").content.decode()  # the last year-end by default
    assert "党员数量变化情况" in only_org and f'value="{last_year_end().isoformat()}"' in only_org


def test_an_organisation_outside_the_scope_answers_404_everywhere(world):
    client = client_for(world.secretary)  # BR1 only
    assert client.get(f"/statistics/?{QUERY.format(org=world.br2.pk)}").status_code == 404
    assert client.get(f"/statistics/annual.xlsx?{QUERY.format(org=world.br2.pk)}").status_code == 404
    assert client.get(f"/api/v1/statistics/annual?{QUERY.format(org=world.br2.pk)}").status_code == 404
    assert client.get(f"/api/v1/statistics/annual?{QUERY.format(org=world.sta.pk)}&format=xlsx").status_code == 404
    assert client.get(f"/api/v1/statistics/annual?{QUERY.format(org=999999)}").status_code == 404
    assert client.get(f"/api/v1/statistics/annual?{QUERY.format(org=world.br1.pk)}").status_code == 200
    assert exports()[-1].after["org"] == "BR1" and len(exports()) == 1


def test_roles_without_the_permission_see_no_statistics(world):
    for user in (world.member_user, world.sysadmin, world.auditor, world.nobody):
        client = client_for(user)
        assert client.get("/statistics/").status_code == 404
        assert client.get(f"/api/v1/statistics/annual?{QUERY.format(org=world.br1.pk)}").status_code == 404
        assert "统计年报" not in client.get("/").content.decode()
    assert exports() == []


@pytest.mark.parametrize("on, message", [
    ("2025-13-01", "格式应为"), ("31/12/2025", "格式应为"), ("2999-12-31", "不能晚于今天"), ("1900-12-31", "不能早于"),
])
def test_a_bad_date_answers_400_with_a_chinese_message_and_exports_nothing(world, on, message):
    client = client_for(world.secretary)
    api = client.get(f"/api/v1/statistics/annual?org={world.br1.pk}&on={on}")
    assert api.status_code == 400 and message in api.json()["on"][0]
    download = client.get(f"/statistics/annual.xlsx?org={world.br1.pk}&on={on}")
    assert download.status_code == 400 and message in download.content.decode()
    page = client.get(f"/statistics/?org={world.br1.pk}&on={on}")
    assert page.status_code == 200 and message in page.content.decode() and "表1" not in page.content.decode()
    assert exports() == []


def test_bad_organisation_or_format_parameters_answer_400_in_chinese(world):
    client = client_for(world.secretary)
    missing = client.get("/api/v1/statistics/annual?on=2025-12-31")
    assert missing.status_code == 400 and "党组织编号" in missing.json()["org"][0]
    assert client.get("/api/v1/statistics/annual?org=abc").status_code == 400
    fmt = client.get(f"/api/v1/statistics/annual?org={world.br1.pk}&format=pdf")
    assert fmt.status_code == 400 and "json 或 xlsx" in fmt.json()["format"][0]
    default = client.get(f"/api/v1/statistics/annual?org={world.br1.pk}")
    assert default.status_code == 200 and default.json()["on"] == last_year_end().isoformat()


def test_an_export_whose_audit_record_cannot_be_written_delivers_nothing(world, monkeypatch, tmp_path):
    import os
    import tempfile

    from django.db import DatabaseError

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(AuditRecord, "save", lambda *a, **k: (_ for _ in ()).throw(DatabaseError("audit down")))
    client = client_for(world.secretary)
    with pytest.raises(DatabaseError):
        client.get(f"/statistics/annual.xlsx?{QUERY.format(org=world.br1.pk)}")
    with pytest.raises(DatabaseError):
        client.get(f"/api/v1/statistics/annual?{QUERY.format(org=world.br1.pk)}&format=xlsx")
    with pytest.raises(DatabaseError):
        client.get(f"/api/v1/statistics/annual?{QUERY.format(org=world.br1.pk)}")
    monkeypatch.undo()
    assert exports() == [] and os.listdir(scratch) == []
