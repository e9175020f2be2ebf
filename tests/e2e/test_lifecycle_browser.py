"""In a real browser: the branch records lost contact and proposes 停止党籍, the 党委 approves on a phone; a sanction's
reason stays hidden until the 党委 reveals it."""
from __future__ import annotations

import datetime as dt

import pytest

from dangjian.members import actions
from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member
from dangjian.members.periods import add_months

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
TODAY = dt.date.today()


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_branch_proposes_suspension_and_the_committee_approves_on_a_phone(world, live_server, browser, shot):
    member = world.members["BR1"][1]
    desk = browser.new_page(viewport={"width": 1280, "height": 900})
    login(desk, live_server, "secretary", world.password)
    desk.goto(f"{live_server.url}/members/{member.pk}/")
    desk.get_by_test_id("lifecycle-link").click()
    desk.get_by_role("link", name="登记失联或出国（境）").click()
    desk.select_option("#id_kind", "lost_contact")
    desk.fill("#id_since", add_months(TODAY, -6).isoformat())
    desk.fill("#id_note", "电话停机")
    desk.get_by_role("button", name="提交").click()
    desk.wait_for_selector("text=已登记")
    desk.goto(f"{live_server.url}/members/lifecycle/")
    desk.get_by_test_id("due").get_by_role("link", name="提出停止党籍").click()
    desk.fill("#id_reason", "三次电话、一次走访均未联系上")
    desk.get_by_role("button", name="提交").click()
    desk.wait_for_selector("text=待上级党委审批")
    shot(desk, "30-lifecycle-proposed")

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    login(phone, live_server, "committee_organizer", world.password)
    assert "待上级党委审批的党籍处置" in phone.content()
    phone.goto(f"{live_server.url}/members/lifecycle/")
    phone.get_by_test_id("proposals").get_by_role("button", name="批准").click()
    phone.wait_for_selector("text=上级党委已批准")
    shot(phone, "31-lifecycle-approved-phone")
    assert Member.objects.get(pk=member.pk).status == MemberStatus.SUSPENDED


def test_the_committee_reveals_a_sanction_reason_that_the_list_hides(world, live_server, browser):
    member = world.members["BR1"][1]
    start = add_months(TODAY, -1)
    actions.do_record_disciplinary_action(member, data={
        "kind": "warning", "decided_on": start, "deciding_body": "区纪委", "starts_on": start,
        "reason": "违反工作纪律的具体事实"}, actor=world.committee_organizer)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, live_server, "committee_organizer", world.password)
    page.goto(f"{live_server.url}/members/discipline/")
    assert "违反工作纪律的具体事实" not in page.content()
    page.goto(f"{live_server.url}/members/{member.pk}/lifecycle/")
    page.get_by_role("button", name="查看处分事由（记入审计）").click()
    page.wait_for_selector("[data-testid=discipline-revealed]")
    assert "违反工作纪律的具体事实" in page.get_by_test_id("discipline").inner_text()
