"""In a real browser: a secretary records an election on the committee pages; the higher committee sees the
overdue terms and approves the secretary; the setup findings page on a phone."""
from __future__ import annotations

import datetime as dt

import pytest

from dangjian.members.models import Member
from dangjian.members.search import id_number_index, name_initials
from dangjian.orgs import committees
from dangjian.orgs.election_rules import add_months
from dangjian.orgs.models import Election
from factories import member_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def fill(org, n):
    made = []
    for _ in range(n):
        member = Member(org=org, id_number_index="", name_initials="", **member_data())
        member.id_number_index, member.name_initials = id_number_index(member.id_number), name_initials(member.name)
        member.save()
        made.append(member)
    return made


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_an_election_from_the_committee_page_to_the_higher_committees_approval(world, live_server, browser, shot):
    people = fill(world.br1, 7)
    today = dt.date.today()
    committees.do_record_term(world.br2, started_on=add_months(today, -40), actor=world.secretary2)  # overdue
    desk = browser.new_page(viewport={"width": 1280, "height": 900})
    login(desk, live_server, "secretary", world.password)
    desk.goto(f"{live_server.url}/orgs/{world.br1.pk}/")
    desk.get_by_test_id("committee-link").click()
    desk.get_by_test_id("new-election").click()
    desk.fill("#id_held_on", f"{today:%Y-%m-%d}")
    desk.fill("#id_seats", "3")
    desk.get_by_test_id("governance-form").get_by_role("button", name="保存").click()
    desk.wait_for_selector("[data-testid=candidates-form]")
    form = desk.get_by_test_id("candidates-form")
    for person in people[:4]:
        form.locator(f"input[name=members][value='{person.pk}']").check()
    form.locator("select[name=secretary]").select_option(str(people[0].pk))
    form.get_by_role("button", name="保存候选人").click()
    desk.wait_for_selector("[data-testid=result-form]")
    result = desk.get_by_test_id("result-form")
    result.locator("input[name=present_count]").fill("10")
    result.locator("input[name=committee_present]").fill("3")
    for person, votes in zip(people[:4], (9, 8, 7, 2)):
        result.get_by_label(f"{person.name}（委员）得票").fill(str(votes))
    result.get_by_label(f"{people[0].name}（书记）得票").fill("3")
    shot(desk, "30-election-result")
    result.get_by_role("button", name="登记结果").click()
    desk.wait_for_selector("text=已登记选举结果")
    assert desk.locator(".list-group .badge", has_text="待上级批准").count() == 1
    assert desk.get_by_test_id("approve-form").count() == 0
    shot(desk, "31-election-elected")

    higher = browser.new_page(viewport={"width": 1280, "height": 900})
    login(higher, live_server, "committee_organizer", world.password)
    assert "任期已届满未换届" in higher.content() and "待批准的书记、副书记" in higher.content()
    higher.goto(f"{live_server.url}/orgs/{world.sta.pk}/terms/")
    assert "已超期" in higher.get_by_test_id("due-terms").inner_text()
    shot(higher, "32-terms-overdue")
    election = Election.objects.get(org=world.br1)
    higher.goto(f"{live_server.url}/orgs/elections/{election.pk}/")
    approve = higher.get_by_test_id("approve-form")
    approve.locator("input[name=approved_on]").fill(f"{today:%Y-%m-%d}")
    approve.get_by_role("button", name="批准").click()
    higher.wait_for_selector("text=上级党组织已批准")

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    login(phone, live_server, "secretary", world.password)
    phone.goto(f"{live_server.url}/orgs/{world.br1.pk}/setup/")
    assert "党小组没有党员" in phone.get_by_test_id("setup-findings").inner_text()
    shot(phone, "33-setup-findings-phone")
