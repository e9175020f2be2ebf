"""In a real browser: one person from the application to full membership, every step on the step forms; a
refusal explained beside its field; the higher committee approves; the archive follows; the paperwork downloads."""
from __future__ import annotations

import datetime as dt

import pytest

from dangjian.recruitment.models import Candidate
from factories import make_id_number
from recruiting import SCHEDULE_2014, add_member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


APPROVER = {"activist_filing", "target_filing", "pre_review", "committee_talk", "admission_approval",
            "conversion_approval"}


def record(page, live_server, candidate, kind, on, world):
    """Open the step form from the timeline, fill what the step needs, save, and come back to the timeline."""
    page.goto(f"{live_server.url}/recruitment/{candidate.pk}/")
    page.get_by_test_id("step-kind").select_option(kind)
    page.get_by_test_id("record-step").click()
    form = page.get_by_test_id("step-form")
    form.locator("#id_on").fill(on.isoformat())
    people = [str(m.pk) for m in world.members["BR1"][1:3]]
    if form.locator("#id_talkers").count():
        form.locator("#id_talkers").select_option(people[:1])
    for name in ("contacts", "introducers"):
        if form.locator(f"#id_{name}").count():
            form.locator(f"#id_{name}").select_option(people)
    if form.locator("#id_meeting_type").count():
        form.locator("#id_meeting_type").select_option("committee")
    if form.locator("#id_passed").count():
        form.locator("#id_passed").select_option("1")
    if form.locator("#id_training_days").count():
        form.locator("#id_training_days").fill("3")
    if form.locator("#id_present_count").count():
        for name, value in (("present_count", "4"), ("yes_count", "4"), ("no_count", "0"), ("abstain_count", "0")):
            form.locator(f"#id_{name}").fill(value)
    if form.locator("#id_outcome").count():
        form.locator("#id_outcome").select_option("convert")
    if form.locator("#id_opinion").count() and kind in ("activist_assessment", "political_review"):
        form.locator("#id_opinion").fill("表现良好，合格")
    form.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    if not page.locator("[data-testid=timeline]").count():
        raise AssertionError(f"{kind} {on}: " + page.get_by_test_id("step-form").inner_text()[:800])


def test_one_candidate_from_application_to_full_member(world, live_server, browser, shot):
    add_member(world.br1)  # four voting members
    branch = browser.new_page(viewport={"width": 1280, "height": 900})
    login(branch, live_server, "secretary", world.password)
    branch.goto(f"{live_server.url}/recruitment/")
    branch.get_by_test_id("new-application").click()
    form = branch.get_by_test_id("apply-form")
    form.locator("#id_org").select_option(str(world.br1.pk))
    form.locator("#id_name").fill("周入党")
    form.locator("#id_id_number").fill(make_id_number(dt.date(1995, 5, 5), True))
    form.locator("#id_occupation_category").select_option("professional")
    form.locator("#id_applied_on").fill("2023-03-01")
    form.get_by_role("button", name="保存").click()
    branch.wait_for_selector("[data-testid=timeline]")
    candidate = Candidate.objects.get(name="周入党")
    committee = browser.new_page(viewport={"width": 1280, "height": 900})
    login(committee, live_server, "committee_organizer", world.password)
    for kind, on in SCHEDULE_2014:
        page = committee if kind.value in APPROVER else branch
        if kind.value == "training":  # first too short: the form says why, beside the field
            page.goto(f"{live_server.url}/recruitment/{candidate.pk}/step/?kind=training")
            form = page.get_by_test_id("step-form")
            form.locator("#id_on").fill(on.isoformat())
            form.locator("#id_training_days").fill("2")
            form.get_by_role("button", name="保存").click()
            assert "不少于 3 天或不少于 24 个学时" in page.get_by_test_id("step-form").inner_text()
            shot(page, "60-recruitment-refusal")
        if kind.value == "admission_approval":  # the approval waits at the 党委: its home page says so
            committee.goto(f"{live_server.url}/")
            assert "上级党委审批预备党员" in committee.content()
        record(page, live_server, candidate, kind.value, on, world)
        if kind.value == "admission_meeting":
            shot(branch, "61-recruitment-admission-meeting")
            branch.goto(f"{live_server.url}/recruitment/")
            assert "周入党" in branch.get_by_test_id("pipeline").inner_text()
            shot(branch, "63-recruitment-board")
    branch.goto(f"{live_server.url}/recruitment/{candidate.pk}/")
    assert branch.get_by_test_id("stage").inner_text() == "正式党员"
    assert "应到会有表决权的党员 4 人" in branch.get_by_test_id("timeline").inner_text()
    shot(branch, "62-recruitment-timeline")
    candidate.refresh_from_db()
    assert candidate.member.category == "full" and str(candidate.member.converted_on) == "2025-07-01"
    with branch.expect_download() as download:
        branch.get_by_role("link", name="支部大会接收预备党员决议").click()
    assert download.value.suggested_filename.endswith(".docx")
    branch.goto(f"{live_server.url}/members/{candidate.member.pk}/")
    assert "周入党" in branch.content()
