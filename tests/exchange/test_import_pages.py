"""Import pages: the upload form refuses with a Chinese message and stores nothing; downloads work."""
from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from python_calamine import CalamineWorkbook

from dangjian.exchange import jobs
from dangjian.exchange.models import ImportJob

from .conftest import xlsx

pytestmark = pytest.mark.django_db


def logged_in(client, user):
    client.force_login(user)
    return client


def test_upload_of_a_macro_workbook_is_refused_on_the_page_and_nothing_is_stored(client, world):
    page = logged_in(client, world.secretary).post("/imports/", {
        "kind": "members", "org": world.br1.pk, "file": SimpleUploadedFile("a.xlsm", xlsx([["姓名"]]))})
    assert page.status_code == 400
    assert "含宏" in page.content.decode()
    assert not ImportJob.objects.exists()


def test_organisation_outside_scope_is_not_offered_and_refused(client, world):
    page = logged_in(client, world.secretary).get("/imports/")
    assert world.br1.code in page.content.decode() and world.br2.code not in page.content.decode()
    refused = client.post("/imports/", {"kind": "members", "org": world.br2.pk,
                                        "file": SimpleUploadedFile("a.xlsx", xlsx([["姓名"]]))})
    assert refused.status_code == 400 and "不在您的管理范围内" in refused.content.decode()


def test_upload_preview_error_report_and_confirm(client, world, ids):
    data = xlsx([["姓名", "身份证号", "人员类别", "入党日期"], ["张三", ids(), "工人", "2010-07-01"],
                 ["李四", "110101198501011234", "工人", "2010-07-01"]])
    response = logged_in(client, world.secretary).post("/imports/", {
        "kind": "members", "org": world.br1.pk, "file": SimpleUploadedFile("花名册.xlsx", data)})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == f"/imports/{job.pk}/"
    jobs.run(job)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "校验完成，待确认" in page and "公民身份号码校验位错误" in page and "确认导入" in page
    report = client.get(f"/imports/{job.pk}/errors.xlsx")
    assert report["Content-Disposition"].endswith("filename*=UTF-8''%E5%AF%BC%E5%85%A5%E9%94%99%E8%AF%AF%E6%8A%A5%E5%91%8A-" + f"{job.pk}.xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(report.content)).get_sheet_by_index(0).to_python()
    assert rows[1][:3] == [3, "身份证号", "公民身份号码校验位错误，请核对后重新输入"]
    client.post(f"/imports/{job.pk}/commit/", {"keep_valid": "on"})
    jobs.run(ImportJob.objects.get(pk=job.pk))
    assert ImportJob.objects.get(pk=job.pk).state == ImportJob.State.DONE
    assert "导入完成" in client.get(f"/imports/{job.pk}/").content.decode()


def test_templates_download_as_workbooks(client, world):
    logged_in(client, world.secretary)
    for kind, first in (("members", "姓名*"), ("orgs", "组织代码*")):
        response = client.get(f"/imports/template/{kind}.xlsx")
        assert response.status_code == 200
        assert CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()[0][0] == first


def test_members_without_the_right_to_add_see_no_import_pages(client, world):
    logged_in(client, world.member_user)
    assert client.get("/imports/").status_code == 404
    assert client.get("/imports/template/members.xlsx").status_code == 404


def test_a_secretary_choosing_an_organisation_import_is_told_the_role_cannot_add_organisations(client, world):
    page = logged_in(client, world.secretary).post("/imports/", {
        "kind": "orgs", "org": world.br1.pk, "file": SimpleUploadedFile("a.xlsx", xlsx([["组织代码"]]))})
    assert page.status_code == 400 and "您的角色不能新增党组织" in page.content.decode()
    assert not ImportJob.objects.exists()
