"""The light map: each node of the org tree shows its subtree's worst open warning and how many of its
organisations are red or yellow; a member's page and the member list show the member's own lights. All read
through the warning scope."""

from __future__ import annotations

import re

import pytest

from dangjian.alerts import actions

from .helpers import ON, unpaid_months

pytestmark = pytest.mark.django_db


@pytest.fixture
def lit(world):
    unpaid_months(world, world.members["BR1"][1], 6)  # red
    unpaid_months(world, world.members["BR2"][1], 3)  # yellow
    unpaid_months(world, world.members["BR3"][1], 3)  # yellow, in the other street
    actions.do_run_evaluation(ON, codes=["dues_arrears"])
    return world


def lights(html: str) -> dict[str, tuple[str, str]]:
    found = re.findall(r'data-testid="light-(\w+)" data-level="(\w+)"><i class="bi bi-circle-fill"></i>([^<]*)', html)
    return {code: (level, counts.strip()) for code, level, counts in found}


def test_the_tree_shows_each_subtrees_worst_light_and_its_red_and_yellow_counts(lit, client):
    client.force_login(lit.organizer)
    tree = lights(client.get("/orgs/").content.decode())
    assert tree["DIST"][0] == "red"
    children = client.get(f"/orgs/{lit.dist.pk}/children/").content.decode()
    assert lights(children)["STA"] == ("red", "1")  # BR1 red; BR2's yellow count follows in its own span
    assert 'title="本组织及下级组织中红灯 1 个、黄灯 1 个"' in children
    assert lights(children)["STB"] == ("yellow", "")
    branches = lights(client.get(f"/orgs/{lit.sta.pk}/children/").content.decode())
    assert branches["BR1"][0] == "red" and branches["BR2"][0] == "yellow"


def test_a_branch_sees_only_its_own_lights(lit, client):
    client.force_login(lit.secretary)
    tree = lights(client.get("/orgs/").content.decode())
    assert set(tree) == {"BR1"} and tree["BR1"][0] == "red"


def test_a_green_subtree_shows_green_and_a_role_without_warnings_sees_no_lights(lit, client):
    client.force_login(lit.secretary2)
    assert lights(client.get("/orgs/").content.decode())["BR2"][0] == "yellow"
    client.force_login(lit.member_user)
    assert lights(client.get("/orgs/").content.decode()) == {}
    client.force_login(lit.organizer)
    children = lights(client.get(f"/orgs/{lit.br1.pk}/children/").content.decode())
    assert children["BR1G1"] == ("green", "")


def test_a_members_page_and_the_member_list_show_the_members_own_lights(lit, client):
    client.force_login(lit.secretary)
    member = lit.members["BR1"][1]
    page = client.get(f"/members/{member.pk}/").content.decode()
    assert 'data-testid="member-findings"' in page and "连续未交纳党费" in page
    calm = client.get(f"/members/{lit.members['BR1'][2].pk}/").content.decode()
    assert 'data-testid="member-findings"' not in calm
    listing = client.get("/members/?org=" + str(lit.br1.pk)).content.decode()
    assert listing.count('data-level="red"') == 1
