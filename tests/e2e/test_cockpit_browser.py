"""In a real browser: the organisation department opens the cockpit on a 1920×1080 big screen, sees the stored figures
and the ECharts charts, clicks a child organisation in the org tree and lands on that organisation's cockpit; the
page polls for new figures and redraws without reloading. On a phone-sized viewport the same cockpit is one column,
and tapping a child organisation drills down."""
from __future__ import annotations

import datetime as dt

import pytest

from dangjian.analytics.models import IndicatorValue
from dangjian.cockpit import queries

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AS_OF = dt.date(2026, 10, 31)
PREVIOUS = dt.date(2026, 9, 30)


def login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def stored(world):
    """The summaries a refresh would have written for the fixture tree (3 members in each branch)."""
    rows = []
    sizes = {world.dist: 9, world.sta: 6, world.stb: 3, world.br1: 3, world.br2: 3, world.br3: 3}
    for org, members in sizes.items():
        for on, value in ((AS_OF, members), (PREVIOUS, members - 1)):
            rows.append(IndicatorValue(as_of=on, org=org, code=queries.MEMBERS, key="", value=value))
        rows += [IndicatorValue(as_of=AS_OF, org=org, code=queries.COMPLIANCE, key="", value=0.9),
                 IndicatorValue(as_of=AS_OF, org=org, code=queries.DUES, key="", value=0.95),
                 IndicatorValue(as_of=AS_OF, org=org, code="members.gender", key="male", value=members),
                 IndicatorValue(as_of=AS_OF, org=org, code="members.age_band", key="31_35", value=members)]
    for org, score in ((world.br1, 72.5), (world.br2, 88.0), (world.br3, 64.0)):
        rows += [IndicatorValue(as_of=AS_OF, org=org, code=queries.BRANCH_VITALITY, key="", value=score),
                 IndicatorValue(as_of=PREVIOUS, org=org, code=queries.BRANCH_VITALITY, key="", value=score - 5)]
    IndicatorValue.objects.bulk_create(rows)


def kpi_text(page, code):
    return page.locator(f'[data-testid="kpi-{code}"] [data-testid=kpi-value]').inner_text()


def test_big_screen_shows_the_stored_figures_and_drills_down_from_the_org_tree(world, live_server, browser, shot):
    from dangjian.orgs.models import Organization

    stored(world)
    Organization.objects.filter(pk=world.br1.pk).update(short_name='第一<i id="injected">支部</i>')
    world.br1.refresh_from_db()
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    login(page, live_server, "organizer", world.password)
    page.get_by_test_id("nav-cockpit").click()
    page.wait_for_selector("body[data-rendered='1']")
    assert page.get_by_test_id("org-name").inner_text() == world.dist.short_name
    assert kpi_text(page, queries.MEMBERS) == "9"
    assert "较上月末 +1" in page.locator(f'[data-testid="kpi-{queries.MEMBERS}"]').inner_text()
    assert kpi_text(page, queries.COMPLIANCE) == "90.0"
    for chart in ("chart-tree", "chart-trend-members", "chart-trend-index"):
        assert page.locator(f"[data-testid={chart}] canvas").count() >= 1, chart
    assert page.locator("[id='chart-members.age_band'] canvas").count() == 1
    ranking = page.get_by_test_id("ranking-vitality").inner_text()
    assert ranking.index(world.br2.short_name) < ranking.index(world.br1.short_name) < ranking.index(world.br3.short_name)
    # The whole board fits the screen: nothing below the fold.
    assert page.evaluate("document.documentElement.scrollHeight") <= 1080
    shot(page, "60-cockpit-big-screen")

    # The page polls the API and redraws without a reload.
    IndicatorValue.objects.filter(org=world.dist, code=queries.MEMBERS, as_of=AS_OF).update(value=10)
    page.evaluate("window.__stillHere = true")
    page.evaluate("window.dangjianCockpit.poll()")
    page.wait_for_function(
        f"document.querySelector('[data-testid=\"kpi-{queries.MEMBERS}\"] [data-testid=kpi-value]').textContent === '10'")
    assert page.evaluate("window.__stillHere") is True
    assert "已刷新" in page.get_by_test_id("refresh-status").inner_text()

    # 东华街道 (6 members) fills the left two thirds of the tree; a click there opens one of its organisations.
    box = page.get_by_test_id("chart-tree").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.75)  # over 第一支部: its tooltip
    page.wait_for_function("document.querySelector('[data-testid=chart-tree]').innerText.includes('injected')")
    assert '<i id="injected">' in page.get_by_test_id("chart-tree").inner_text()
    assert page.locator("#injected").count() == 0  # a name typed by a user is shown as text, never as markup
    page.mouse.click(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.5)
    page.wait_for_url(lambda url: "/cockpit/orgs/" in url)
    page.wait_for_selector("body[data-rendered='1']")
    landed = page.get_by_test_id("org-name").inner_text()
    assert landed in {world.sta.short_name, world.br1.short_name, world.br2.short_name}
    assert page.get_by_test_id("parent-link").count() == 1
    shot(page, "61-cockpit-drill-down")


def test_phone_view_is_one_column_and_a_tap_drills_down(world, live_server, browser, shot):
    stored(world)
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    login(phone, live_server, "organizer", world.password)
    phone.goto(f"{live_server.url}/cockpit/phone/")
    phone.wait_for_selector("body[data-rendered='1']")
    assert kpi_text(phone, queries.MEMBERS) == "9"
    assert phone.locator("[data-testid=chart-tree] canvas").count() == 1
    assert phone.locator("[data-testid=chart-trend-members] canvas").count() == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    cards = phone.locator("[data-testid=kpis] .kpi")
    first, third = cards.nth(0).bounding_box(), cards.nth(2).bounding_box()
    assert third["y"] > first["y"]  # two cards a row, not six across
    shot(phone, "62-cockpit-phone")
    item = phone.locator(f"[data-testid=child-list] a[data-org-id='{world.stb.pk}']")
    assert item.bounding_box()["height"] >= 44  # a finger-sized target
    item.tap()
    phone.wait_for_url(f"{live_server.url}/cockpit/orgs/{world.stb.pk}/phone/")
    phone.wait_for_selector("body[data-rendered='1']")
    assert phone.get_by_test_id("org-name").inner_text() == world.stb.short_name
    assert kpi_text(phone, queries.MEMBERS) == "3"
    shot(phone, "63-cockpit-phone-drill-down")
    phone.locator(f"[data-ranking=vitality] a[data-org-id='{world.br3.pk}']").tap()  # a ranking drills down too
    phone.wait_for_url(f"{live_server.url}/cockpit/orgs/{world.br3.pk}/phone/")
    phone.wait_for_selector("body[data-rendered='1']")
    assert kpi_text(phone, queries.BRANCH_VITALITY) == "64.0"


def test_before_any_refresh_the_big_screen_shows_the_empty_state(world, live_server, browser):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    login(page, live_server, "secretary", world.password)
    page.goto(f"{live_server.url}/cockpit/")
    page.wait_for_selector("body[data-rendered='1']")
    assert page.get_by_test_id("empty-state").is_visible()
    assert "尚未计算指标" in page.get_by_test_id("empty-message").inner_text()
    assert not page.get_by_test_id("board").is_visible()


def test_an_organisation_without_members_still_has_a_tile_in_the_tree_with_its_light(world, live_server, browser):
    from dangjian.alerts.models import Finding
    from dangjian.orgs.models import Organization

    stored(world)
    empty = Organization.objects.add_child(world.stb, instance=Organization(
        code="BR4", name="中共西城街道第四支部委员会", short_name="第四支部", org_type="branch"))
    IndicatorValue.objects.create(as_of=AS_OF, org=empty, code=queries.MEMBERS, key="", value=0)
    Finding.objects.create(key="e4", rule="test.rule", org=empty, level="red", message="m", first_seen=AS_OF,
                           last_seen=AS_OF)
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    login(page, live_server, "organizer", world.password)
    page.goto(f"{live_server.url}/cockpit/orgs/{world.dist.pk}/")
    page.wait_for_selector("body[data-rendered='1']")
    # The tile ECharts laid out for each organisation of the tree (its rectangle on the canvas) and its label.
    tiles = page.evaluate("""() => {
        const chart = echarts.getInstanceByDom(document.querySelector('[data-testid=chart-tree]'));
        const data = chart.getModel().getSeriesByIndex(0).getData();
        const out = {};
        for (let i = 0; i < data.count(); i++) {
            const item = data.getRawDataItem(i) || {};
            const box = data.getItemLayout(i);
            if (item.orgId) out[item.orgId] = {area: box ? box.width * box.height : 0, members: item.members,
                                             color: data.getItemVisual(i, 'style').fill};
        }
        return out;
    }""")
    three = tiles[str(world.br3.pk)]
    tile = tiles[str(empty.pk)]
    assert tile["members"] == 0  # the label and the tooltip show the real count
    assert three["area"] > 0 and tile["area"] >= 0.02 * three["area"]  # seen, and smaller than a branch of 3
    assert tile["area"] < three["area"]
    assert (tile["color"], three["color"]) == ("#e5484d", "#30a46c")  # each coloured by its own light
