"""The pages: pipeline board, timeline, step forms that explain refusals, paperwork, templates, holidays."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from docx import Document

from dangjian.recruitment.choices import Stage, StepKind as K
from dangjian.recruitment.models import Candidate
from dangjian.recruitment.paperwork import builtin_template
from recruiting import add_member, apply, candidate_2014

pytestmark = pytest.mark.django_db


def client(user):
    c = Client()
    c.force_login(user)
    return c


def docx_text(content: bytes) -> str:
    return "\n".join(p.text for p in Document(io.BytesIO(content)).paragraphs)


def test_pipeline_board_and_timeline_are_scoped(world):
    mine = candidate_2014(world, until=K.TARGET_DETERMINATION)
    page = client(world.secretary).get("/recruitment/").content.decode()
    assert mine.name in page and "入党积极分子" in page and "下一步" in page
    assert mine.name not in client(world.secretary2).get("/recruitment/").content.decode()
    assert client(world.secretary2).get(f"/recruitment/{mine.pk}/").status_code == 404
    assert mine.name in client(world.organizer).get(f"/recruitment/?org={world.br1.pk}").content.decode()
    timeline = client(world.secretary).get(f"/recruitment/{mine.pk}/").content.decode()
    assert "推荐和确定入党积极分子" in timeline and "2023-04-01" in timeline
    assert client(world.member_user).get("/recruitment/").status_code == 404


def test_application_form_refuses_an_applicant_under_18_with_the_article(world):
    birth = dt.date(2010, 1, 1)
    from factories import make_id_number

    response = client(world.secretary).post("/recruitment/apply/", {
        "org": world.br1.pk, "name": "赵少年", "id_number": make_id_number(birth, True), "occupation_category": "student",
        "applied_on": "2026-06-01"})
    page = response.content.decode()
    assert response.status_code == 200 and "年满 18 周岁" in page and "第五条" in page
    assert not Candidate.objects.filter(name="赵少年").exists()


def test_step_form_explains_a_refusal_and_asks_to_acknowledge_a_warning(world):
    candidate = candidate_2014(world, until=K.TRAINING)
    c = client(world.secretary)
    response = c.post(f"/recruitment/{candidate.pk}/step/?kind=training", {
        "kind": "training", "on": "2024-05-10", "training_days": "2", "training_hours": "20"})
    assert "不少于 3 天或不少于 24 个学时" in response.content.decode() and "第十七条" in response.content.decode()
    late = apply(world, dt.date(2023, 1, 31))
    member = world.members["BR1"][1]
    response = c.post(f"/recruitment/{late.pk}/step/", {"kind": "application_talk", "on": "2023-03-01",
                                                         "talkers": [member.pk]})
    assert "1 个月内" in response.content.decode() and "已知悉上述提示" in response.content.decode()
    assert not late.steps.filter(kind=K.APPLICATION_TALK).exists()
    response = c.post(f"/recruitment/{late.pk}/step/", {"kind": "application_talk", "on": "2023-03-01",
                                                         "talkers": [member.pk], "acknowledge": "on"})
    assert response.status_code == 302 and late.steps.filter(kind=K.APPLICATION_TALK).exists()


def test_admission_resolution_document_carries_the_vote_counts(world):
    add_member(world.br1)
    candidate = candidate_2014(world, until=K.COMMITTEE_TALK)
    response = client(world.secretary).get(f"/recruitment/{candidate.pk}/document/?kind=admission_resolution")
    assert response.status_code == 200
    text = docx_text(response.content)
    assert "应到会有表决权的党员4名" in text and "赞成3票" in text and "2024年7月1日" in text and candidate.name in text


def test_document_of_a_step_not_yet_recorded_is_refused_with_a_reason(world):
    candidate = apply(world)
    response = client(world.secretary).get(f"/recruitment/{candidate.pk}/document/?kind=approval_notice", follow=True)
    assert "尚未登记" in response.content.decode()


def test_all_five_documents_are_generated_for_a_full_member(world):
    candidate = candidate_2014(world)
    c = client(world.secretary)
    for kind in ("activist_record", "admission_resolution", "approval_notice", "conversion"):
        response = c.get(f"/recruitment/{candidate.pk}/document/?kind={kind}")
        assert response.status_code == 200, kind
        assert candidate.name in docx_text(response.content)
    assert "2025年7月1日" in docx_text(c.get(f"/recruitment/{candidate.pk}/document/?kind=conversion").content)


def test_organisation_template_replaces_the_builtin_one_for_its_branches(world):
    candidate = candidate_2014(world, until=K.OATH)
    document = Document()
    document.add_paragraph("本单位格式：{{姓名}}同志于{{审批日期}}被批准为预备党员")
    buffer = io.BytesIO()
    document.save(buffer)
    buffer.seek(0)
    buffer.name = "own.docx"
    c = client(world.committee_organizer)
    response = c.post("/recruitment/templates/", {"org": world.sta.pk, "kind": "approval_notice", "file": buffer})
    assert response.status_code == 302, response.content.decode()[-3000:]
    text = docx_text(c.get(f"/recruitment/{candidate.pk}/document/?kind=approval_notice").content)
    assert text == f"本单位格式：{candidate.name}同志于2024年8月1日被批准为预备党员"
    bad = io.BytesIO(b"not a word file")
    bad.name = "x.docx"
    page = c.post("/recruitment/templates/", {"org": world.sta.pk, "kind": "approval_notice", "file": bad})
    assert "无法打开" in page.content.decode()


def test_builtin_templates_hold_named_placeholders():
    assert "{{姓名}}" in docx_text(builtin_template("public_notice"))


def test_holidays_page_is_for_the_system_administrator(world):
    assert client(world.secretary).get("/recruitment/holidays/").status_code == 404
    c = client(world.sysadmin)
    assert c.get("/recruitment/holidays/").status_code == 200
    assert c.post("/recruitment/holidays/", {"day": "2099-10-01", "name": "国庆节"}).status_code == 302


def test_home_page_lists_due_and_overdue_recruitment_items(world):
    apply(world, dt.date(2023, 1, 31))  # the talk was due by 28 February 2023
    page = client(world.secretary).get("/").content.decode()
    assert "发展党员：收到入党申请书后派人谈话已逾期" in page
    candidate = candidate_2014(world, until=K.ADMISSION_APPROVAL)
    candidate.refresh_from_db()
    assert candidate.stage == Stage.DEVELOPMENT_TARGET
    page = client(world.committee_organizer).get("/").content.decode()
    assert "上级党委审批预备党员（最长 6 个月）已逾期" in page
    assert "上级党委审批预备党员" not in client(world.secretary).get("/").content.decode()
