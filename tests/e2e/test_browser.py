"""In a real browser: a branch secretary logs in, browses the tree, and adds a member."""

import pytest

from factories import member_data
from dangjian.members.models import Member

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_secretary_browses_the_tree_and_adds_a_member(world, live_server, browser, shot):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    page.goto(f"{live_server.url}/accounts/login/")
    shot(page, "01-login")
    page.fill("#id_username", "secretary")
    page.fill("#id_password", world.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="需要我关注的事项").is_visible()
    shot(page, "02-home")

    page.click("nav >> text=党组织")
    page.wait_for_url("**/orgs/")
    page.click(f"[data-testid=expand-{world.br1.code}]")
    page.wait_for_selector("text=第一党小组")
    shot(page, "03-tree-expanded")

    page.click(f"#node-{world.br1.pk} > a")
    page.wait_for_url(f"**/orgs/{world.br1.pk}/")
    assert page.get_by_text("本组织党员").first.is_visible()
    shot(page, "04-branch")

    page.click("text=新增党员")
    page.wait_for_url("**/members/new/**")
    data = member_data(name="王小明")
    bad = data["id_number"][:17] + ("1" if data["id_number"][17] != "1" else "2")
    before = Member.objects.count()
    page.fill("#id_name", data["name"])
    page.fill("#id_id_number", bad)
    page.select_option("#id_occupation_category", "professional")
    page.fill("#id_joined_on", data["joined_on"].isoformat())
    page.fill("#id_converted_on", data["converted_on"].isoformat())
    page.click("main button[type=submit]")
    error = page.locator("#id_id_number_errors")
    try:
        error.wait_for(timeout=10000)
    finally:
        shot(page, "05-member-bad-id")
    assert "校验位错误" in error.inner_text()
    assert "This field" not in page.content()  # Chinese messages whatever the browser's language
    assert Member.objects.count() == before

    page.fill("#id_id_number", data["id_number"])
    page.click("main button[type=submit]")
    page.wait_for_url("**/members/*/")
    masked = page.get_by_test_id("id-number").inner_text()
    assert masked == data["id_number"][:3] + "*" * 11 + data["id_number"][-4:]
    assert Member.objects.count() == before + 1
    shot(page, "06-member-created")

    page.click("text=查看完整信息")
    page.wait_for_selector(f"text={data['id_number']}")
    shot(page, "07-member-revealed")

    phone = browser.new_page(viewport={"width": 390, "height": 844}, storage_state=page.context.storage_state())
    phone.goto(f"{live_server.url}/members/")
    shot(phone, "08-member-list-phone")
    assert errors == [], errors
