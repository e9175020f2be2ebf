"""Hostile and broken files are refused before a cell is read, and nothing is stored."""
from __future__ import annotations

import io
import zipfile

import pytest
import xlsxwriter
from django.core.exceptions import ValidationError

from dangjian.exchange import actions
from dangjian.exchange.models import ImportJob
from dangjian.members.models import Member

from .conftest import xlsx

pytestmark = pytest.mark.django_db


def refused(world, data, name="花名册.xlsx"):
    with pytest.raises(ValidationError) as info:
        actions.do_start_import(kind="members", file_name=name, data=data, root_org=world.br1,
                                actor=world.secretary, run_now=True)
    assert not ImportJob.objects.exists()
    return info.value.message_dict["file"][0]


def nothing_on_disk(settings):
    folder = settings.IMPORT_DIR
    return not folder.exists() or not any(folder.iterdir())


def test_zip_bomb_is_refused_by_its_compression_ratio(world, settings):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    assert "压缩炸弹" in refused(world, buffer.getvalue())
    assert nothing_on_disk(settings)


def test_workbook_larger_than_the_unzipped_limit_is_refused(world, settings):
    settings.IMPORT_MAX_UNZIPPED_MB = 1
    rows = [["姓名", "公民身份号码", "人员类别", "入党日期"]] + [[f"党员{n}" * 20, "x", "工人", "2010-07-01"]
                                                          for n in range(20000)]
    assert "解压后超过 1 MB" in refused(world, xlsx(rows))


def test_sheet_over_the_row_limit_is_refused(world, settings):
    settings.IMPORT_MAX_ROWS = 10
    rows = [["姓名", "公民身份号码", "人员类别", "入党日期"]] + [["张三", "x", "工人", "2010-07-01"]] * 40
    assert "超过 10 行的上限" in refused(world, xlsx(rows))


def test_file_over_the_size_limit_is_refused(world, settings):
    settings.IMPORT_MAX_MB = 1
    assert "超过 1 MB" in refused(world, b"a,b\n" * 300_000, name="big.csv")


def test_macro_enabled_workbooks_are_refused(world):
    assert "含宏" in refused(world, xlsx([["姓名"]]), name="花名册.xlsm")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/vbaProject.bin", b"VBA")
    assert "宏" in refused(world, buffer.getvalue())
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "_VBA_PROJECT_CUR".encode("utf-16-le") + b"\0" * 500
    assert "宏" in refused(world, ole, name="花名册.xls")


def test_renamed_and_unsupported_files_are_refused(world):
    assert "不是 .xlsx 工作簿" in refused(world, b"name,id\n", name="花名册.xlsx")
    assert "只能导入" in refused(world, b"%PDF-1.4", name="花名册.pdf")
    assert "扩展名却是 .csv" in refused(world, xlsx([["姓名"]]), name="花名册.csv")
    assert "空的" in refused(world, b"", name="花名册.csv")


def test_truncated_workbook_is_refused_at_upload(world):
    data = xlsx([["姓名", "公民身份号码", "人员类别", "入党日期"]])
    assert "损坏或不完整" in refused(world, data[: len(data) // 2])


def test_unreadable_workbook_fails_its_job_with_a_message_and_imports_nothing(world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<not a workbook")
    before = Member.objects.count()
    job = actions.do_start_import(kind="members", file_name="x.xlsx", data=buffer.getvalue(), root_org=world.br1,
                                  actor=world.secretary, commit=True, run_now=True)
    assert job.state == ImportJob.State.FAILED and "无法读取" in job.message
    assert Member.objects.count() == before and not job.rows.exists()


def test_formulas_are_never_evaluated_only_their_saved_values_are_read(world, ids):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for col, head in enumerate(["姓名", "公民身份号码", "人员类别", "入党日期", "现居住地"]):
        sheet.write_string(0, col, head)
    number = ids()
    sheet.write_formula(1, 0, '="张"&"三"', None, "张三")
    sheet.write_string(1, 1, number)
    sheet.write_string(1, 2, "工人")
    sheet.write_string(1, 3, "2010-07-01")
    sheet.write_formula(1, 4, "=WEBSERVICE(\"http://example.invalid/\")", None, "北京")
    book.close()
    job = actions.do_start_import(kind="members", file_name="f.xlsx", data=buffer.getvalue(), root_org=world.br1,
                                  actor=world.secretary, commit=True, run_now=True)
    assert job.state == ImportJob.State.DONE, job.message
    member = Member.objects.get(name="张三")
    assert member.address == "北京"


def test_uploaded_file_is_stored_encrypted_and_removed_after_the_import(world, ids, settings):
    number = ids()
    data = xlsx([["姓名", "公民身份号码", "人员类别", "入党日期"], ["张三", number, "工人", "2010-07-01"]])
    job = actions.do_start_import(kind="members", file_name="f.xlsx", data=data, root_org=world.br1,
                                  actor=world.secretary, commit=False, run_now=True)
    stored = (settings.IMPORT_DIR / f"job-{job.pk}.bin").read_bytes()
    assert data not in stored and b"PK\x03\x04" not in stored[:64]
    actions.do_commit_import(job, actor=world.secretary, run_now=True)
    assert nothing_on_disk(settings)
