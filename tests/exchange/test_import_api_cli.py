"""The import through the API and the command line: the same pipeline, the same refusals."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

import processes
from dangjian.exchange import jobs
from dangjian.exchange.models import ImportJob
from dangjian.members.models import Member

from .conftest import xlsx


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def roster(ids, bad=False):
    rows = [["姓名", "公民身份号码", "人员类别", "入党日期"], ["张三", ids(), "工人", "2010-07-01"]]
    if bad:
        rows.append(["李四", "110101198501011234", "工人", "2010-07-01"])
    return xlsx(rows)


@pytest.mark.django_db
def test_api_upload_validates_in_the_background_then_commits_on_request(world, ids):
    client = api(world.secretary)
    upload = SimpleUploadedFile("r.xlsx", roster(ids, bad=True))
    response = client.post("/api/v1/imports/", {"kind": "members", "org": world.br1.pk, "file": upload},
                           format="multipart")
    assert response.status_code == 202, response.content
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert response.json()["state"] == "queued"
    jobs.run(job)  # what the worker does
    body = client.get(f"/api/v1/imports/{job.pk}/").json()
    assert (body["state"], body["new_count"], body["error_count"]) == ("validated", 1, 1)
    errors = client.get(f"/api/v1/imports/{job.pk}/errors/").json()
    assert errors["results"] == [{"row": 3, "column": "公民身份号码", "reason": "公民身份号码校验位错误，请核对后重新输入"}]
    refused = client.post(f"/api/v1/imports/{job.pk}/commit/", {}, format="json")
    assert refused.status_code == 400 and "只导入无误的行" in str(refused.json())
    before = Member.objects.count()
    accepted = client.post(f"/api/v1/imports/{job.pk}/commit/", {"keep_valid": True}, format="json")
    assert accepted.status_code == 202
    jobs.run(ImportJob.objects.get(pk=job.pk))
    assert client.get(f"/api/v1/imports/{job.pk}/").json()["state"] == "done"
    assert Member.objects.count() == before + 1


@pytest.mark.django_db
def test_api_refuses_hostile_files_and_foreign_organisations_with_chinese_messages(world, ids):
    client = api(world.secretary)
    bad = client.post("/api/v1/imports/", {"kind": "members", "org": world.br1.pk,
                                           "file": SimpleUploadedFile("r.xlsm", roster(ids))}, format="multipart")
    assert bad.status_code == 400 and "含宏" in bad.json()["file"][0]
    foreign = client.post("/api/v1/imports/", {"kind": "members", "org": world.br2.pk,
                                               "file": SimpleUploadedFile("r.xlsx", roster(ids))}, format="multipart")
    assert foreign.status_code == 400 and "org" in foreign.json()
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_import_jobs_are_their_importers_own(world, ids):
    response = api(world.secretary).post("/api/v1/imports/", {
        "kind": "members", "org": world.br1.pk, "file": SimpleUploadedFile("r.xlsx", roster(ids))}, format="multipart")
    job_id = response.json()["id"]
    other = api(world.officer)  # same branch, another account
    assert other.get(f"/api/v1/imports/{job_id}/").status_code == 404
    assert other.post(f"/api/v1/imports/{job_id}/commit/", {}, format="json").status_code == 404
    assert other.get("/api/v1/imports/").json()["results"] == []


@pytest.mark.django_db(transaction=True)
def test_cli_dry_run_reports_every_error_writes_the_report_and_changes_nothing(world, ids, settings, tmp_path):
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(roster(ids, bad=True))
    before = Member.objects.count()
    proc = processes.dangjian(["import", "members", str(path), "--org", "BR1", "--dry-run", "--user", "secretary"],
                              settings, tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 1, out + err
    assert "新增 1　更新 0　无变化 0　有错误 1" in out
    assert "第 3 行［公民身份号码］公民身份号码校验位错误" in out
    assert (tmp_path / "花名册.errors.xlsx").exists()
    assert Member.objects.count() == before

    proc = processes.dangjian(["import", "members", str(path), "--org", "BR1", "--keep-valid", "--user", "secretary"],
                              settings, tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out + err
    assert "导入完成：新增 1 行" in out
    assert Member.objects.count() == before + 1


@pytest.mark.django_db(transaction=True)
def test_cli_refuses_an_organisation_outside_the_accounts_scope(world, ids, settings, tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(roster(ids))
    proc = processes.dangjian(["import", "members", str(path), "--org", "BR2", "--user", "secretary"],
                              settings, tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "不在您的管理范围内" in err
    proc = processes.dangjian(["import", "members", str(path), "--org", "BR1"], settings, tmp_path,
                              DANGJIAN_USER="")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "--user" in err
    assert not ImportJob.objects.exists()
