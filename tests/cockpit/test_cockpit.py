"""The cockpit (数字驾驶舱) reads the stored indicator summaries of the organisations in the viewer's scope: what it
shows equals what the refresh stored, changes are against the previous month-end, rankings are ordered with shared
ranks for ties, an organisation outside the scope answers 404, and before any refresh it says so instead of failing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.alerts.models import Finding
from dangjian.analytics.models import IndicatorValue, RefreshRun, RefreshState
from dangjian.cockpit import queries

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 10, 31)
PREVIOUS = dt.date(2026, 9, 30)
YEAR_AGO = dt.date(2025, 10, 31)


def store(org, code, value, *, on=AS_OF, key="", numerator=None, denominator=None):
    """What the refresh job would store: one summary row."""
    return IndicatorValue.objects.create(as_of=on, org=org, code=code, key=key, value=value, numerator=numerator,
                                         denominator=denominator)


def screen(client, org=None):
    return client.get(f"/cockpit/orgs/{org.pk}/" if org else "/cockpit/")


def api(client, org):
    return client.get(f"/api/v1/cockpit/orgs/{org.pk}/")


def kpi(data, code):
    return next(k for k in data["kpis"] if k["code"] == code)


# -- scope ---------------------------------------------------------------------------------------------------------

def test_branch_secretary_gets_404_for_another_branchs_cockpit_page_and_api(world, client):
    store(world.br2, queries.MEMBERS, 3)
    client.force_login(world.secretary)
    for path in (f"/cockpit/orgs/{world.br2.pk}/", f"/cockpit/orgs/{world.br2.pk}/phone/",
                 f"/api/v1/cockpit/orgs/{world.br2.pk}/", f"/api/v1/cockpit/orgs/{world.br2.pk}/rankings/",
                 f"/cockpit/orgs/{world.sta.pk}/", f"/api/v1/cockpit/orgs/{world.sta.pk}/"):
        assert client.get(path).status_code == 404, path
    assert screen(client, world.br1).status_code == 200
    assert api(client, world.br1).status_code == 200


def test_organisation_department_sees_its_subtree_and_drills_down(world, client):
    client.force_login(world.organizer)
    for org in (world.dist, world.sta, world.br1, world.br3):
        assert screen(client, org).status_code == 200
        assert api(client, org).status_code == 200
    assert screen(client, world.city).status_code == 404  # above its scope
    assert api(client, world.city).status_code == 404


def test_member_without_analytics_view_is_refused(world, client):
    client.force_login(world.member_user)
    for path in ("/cockpit/", "/cockpit/phone/", f"/cockpit/orgs/{world.br1.pk}/", "/api/v1/cockpit/orgs/",
                 f"/api/v1/cockpit/orgs/{world.br1.pk}/"):
        assert client.get(path).status_code == 404, path
    assert "驾驶舱" not in client.get("/").content.decode()


def test_the_navigation_links_to_the_cockpit_for_analytics_viewers(world, client):
    client.force_login(world.secretary)
    assert 'data-testid="nav-cockpit"' in client.get("/").content.decode()


def test_default_organisation_is_the_top_of_the_users_scope(world, client):
    client.force_login(world.committee_organizer)
    response = screen(client)
    assert response.status_code == 200
    assert response.context["org"] == world.sta
    assert [o["id"] for o in client.get("/api/v1/cockpit/orgs/").json()] == [world.sta.pk]


def test_the_tree_lists_only_children_in_scope_even_for_an_organisation_above(world, client):
    store(world.sta, queries.MEMBERS, 6)
    client.force_login(world.committee_organizer)
    data = api(client, world.sta).json()
    names = {n["id"] for n in data["tree"]}
    assert names == {world.br1.pk, world.br2.pk}
    assert data["parent"] is None  # 区委 is above the committee organiser's scope: no link up


# -- figures -------------------------------------------------------------------------------------------------------

def test_kpi_figures_equal_the_stored_summaries(world, client):
    store(world.dist, queries.MEMBERS, 1234)
    store(world.dist, queries.COMPLIANCE, 0.875, numerator=7, denominator=8)
    store(world.dist, queries.DUES, 0.9321)
    store(world.dist, queries.REGION_VITALITY, 81.26)
    store(world.dist, queries.BRANCH_VITALITY, 10)  # a district shows the regional index, not the branch one
    store(world.dist, queries.ALERTS, 5)
    store(world.dist, queries.ALERTS, 2, key="red")
    store(world.dist, queries.ALERTS, 3, key="yellow")
    store(world.dist, queries.RECRUITMENT, 9)
    store(world.dist, queries.RECRUITMENT, 4, key="applied")
    client.force_login(world.organizer)
    data = api(client, world.dist).json()
    assert data["as_of"] == "2026-10-31" and data["empty"] is False
    assert [k["code"] for k in data["kpis"]] == [queries.MEMBERS, queries.COMPLIANCE, queries.DUES,
                                                 queries.REGION_VITALITY, queries.ALERTS, queries.RECRUITMENT]
    assert kpi(data, queries.MEMBERS)["display"] == "1,234"
    assert kpi(data, queries.COMPLIANCE)["display"] == "87.5"
    assert kpi(data, queries.COMPLIANCE)["numerator"] == 7
    assert kpi(data, queries.DUES)["display"] == "93.2"
    assert kpi(data, queries.REGION_VITALITY)["display"] == "81.3"
    assert [(p["label"], p["display"]) for p in kpi(data, queries.ALERTS)["parts"]] == [("红灯", "2"), ("黄灯", "3")]
    assert kpi(data, queries.RECRUITMENT)["parts"] == [{"key": "applied", "label": "递交入党申请", "display": "4"}]
    page = screen(client, world.dist).content.decode()
    assert "1,234" in page and "87.5" in page and "统计截止 2026-10-31" in page


def test_a_branch_shows_its_branch_vitality_index(world, client):
    store(world.br1, queries.BRANCH_VITALITY, 66.0)
    client.force_login(world.secretary)
    data = api(client, world.br1).json()
    assert kpi(data, queries.BRANCH_VITALITY)["display"] == "66.0"
    assert queries.REGION_VITALITY not in {k["code"] for k in data["kpis"]}


def test_the_cockpit_reads_the_newest_refresh_of_the_organisation(world, client):
    store(world.br1, queries.MEMBERS, 10, on=PREVIOUS)
    store(world.br1, queries.MEMBERS, 12, on=AS_OF)
    run = RefreshRun.objects.create(as_of=AS_OF, state=RefreshState.DONE, engine="duckdb")
    RefreshRun.objects.filter(pk=run.pk).update(finished_at=dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.timezone.utc))
    client.force_login(world.secretary)
    data = api(client, world.br1).json()
    assert data["as_of"] == "2026-10-31"
    assert data["refresh"]["engine"] == "duckdb" and data["refresh"]["finished_at"].startswith("2026-11-01")
    assert kpi(data, queries.MEMBERS)["value"] == 12


def test_a_refresh_still_running_is_not_shown_half_written(world, client):
    store(world.br1, queries.MEMBERS, 12, on=PREVIOUS)
    RefreshRun.objects.create(as_of=PREVIOUS, state=RefreshState.DONE)
    store(world.br1, queries.MEMBERS, 3, on=AS_OF)  # the first rows of a refresh that has not finished
    RefreshRun.objects.create(as_of=AS_OF, state=RefreshState.RUNNING)
    client.force_login(world.secretary)
    data = api(client, world.br1).json()
    assert data["as_of"] == "2026-09-30" and kpi(data, queries.MEMBERS)["value"] == 12
    RefreshRun.objects.filter(as_of=AS_OF).update(state=RefreshState.DONE)
    assert api(client, world.br1).json()["as_of"] == "2026-10-31"


def test_alerts_without_a_stored_total_add_up_red_and_yellow(world, client):
    store(world.br1, queries.ALERTS, 2, key="red")
    store(world.br1, queries.ALERTS, 1, key="yellow")
    store(world.br1, queries.RECRUITMENT, 4, key="applied")  # steps are not people: no total is made up
    client.force_login(world.secretary)
    data = api(client, world.br1).json()
    assert kpi(data, queries.ALERTS)["display"] == "3"
    assert kpi(data, queries.RECRUITMENT)["value"] is None and kpi(data, queries.RECRUITMENT)["display"] == "—"


def test_change_is_against_the_previous_month_end(world, client):
    store(world.dist, queries.MEMBERS, 120)
    store(world.dist, queries.MEMBERS, 100, on=PREVIOUS)
    store(world.dist, queries.MEMBERS, 90, on=dt.date(2026, 10, 15))  # not a month-end: never compared with
    store(world.dist, queries.COMPLIANCE, 0.80)
    store(world.dist, queries.COMPLIANCE, 0.85, on=PREVIOUS)
    store(world.dist, queries.ALERTS, 4)
    store(world.dist, queries.ALERTS, 6, on=PREVIOUS)
    store(world.dist, queries.DUES, 0.9)  # no value at the previous month-end
    client.force_login(world.organizer)
    data = api(client, world.dist).json()
    assert data["previous_as_of"] == "2026-09-30"
    members = kpi(data, queries.MEMBERS)
    assert (members["previous"], members["change"], members["change_display"], members["better"]) == (100, 20, "+20", True)
    compliance = kpi(data, queries.COMPLIANCE)
    assert compliance["change_display"] == "-5.0 个百分点" and compliance["better"] is False
    alerts = kpi(data, queries.ALERTS)
    assert alerts["change"] == -2 and alerts["better"] is True  # fewer open warnings is better
    dues = kpi(data, queries.DUES)
    assert dues["change"] is None and dues["change_display"] == ""
    page = screen(client, world.dist).content.decode()
    assert "较上月末 +20" in page and "无上月末数据" in page


def test_change_for_a_mid_month_refresh_is_against_the_last_month_end(world, client):
    store(world.br1, queries.MEMBERS, 15, on=dt.date(2026, 11, 26))
    store(world.br1, queries.MEMBERS, 12, on=AS_OF)
    client.force_login(world.secretary)
    data = api(client, world.br1).json()
    assert data["previous_as_of"] == "2026-10-31"
    assert kpi(data, queries.MEMBERS)["change"] == 3


def test_trends_are_the_last_twelve_month_ends(world, client):
    for back in range(14):
        store(world.br1, queries.MEMBERS, 100 + back, on=queries.month_end(AS_OF, back))
    store(world.br1, queries.COMPLIANCE, 0.5, on=AS_OF)
    client.force_login(world.secretary)
    data = api(client, world.br1).json()
    members = next(s for s in data["trends"] if s["code"] == queries.MEMBERS)
    assert [p["as_of"] for p in members["points"]][0] == "2025-11-30"
    assert [p["label"] for p in members["points"]][-1] == "2026-10"
    assert [p["value"] for p in members["points"]] == [100 + back for back in range(11, -1, -1)]
    compliance = next(s for s in data["trends"] if s["code"] == queries.COMPLIANCE)
    assert compliance["points"][-1]["value"] == 50.0 and compliance["points"][0]["value"] is None


def test_structure_charts_show_the_stored_breakdowns_with_catalogue_labels(world, client):
    store(world.dist, queries.MEMBERS, 10)
    store(world.dist, "members.age_band", 3, key="le30")
    store(world.dist, "members.age_band", 7, key="ge61")
    store(world.dist, "members.gender", 4, key="female")
    store(world.dist, "members.gender", 6, key="male")
    client.force_login(world.organizer)
    data = api(client, world.dist).json()
    age = next(s for s in data["structure"] if s["code"] == "members.age_band")
    assert [(i["label"], i["value"], i["share"]) for i in age["items"]] == [("30岁及以下", 3, 0.3), ("61岁及以上", 7, 0.7)]
    gender = next(s for s in data["structure"] if s["code"] == "members.gender")
    assert {i["key"]: i["value"] for i in gender["items"]} == {"female": 4, "male": 6}
    assert {s["code"] for s in data["structure"]} == set(queries.STRUCTURE_CODES)


def test_the_tree_is_sized_by_members_and_coloured_by_warning_lights(world, client):
    store(world.dist, queries.MEMBERS, 9)
    store(world.sta, queries.MEMBERS, 6)
    store(world.stb, queries.MEMBERS, 3)
    store(world.br1, queries.MEMBERS, 3)
    Finding.objects.create(key="t1", rule="test.rule", org=world.br1, level="red", message="m", first_seen=AS_OF,
                           last_seen=AS_OF)
    Finding.objects.create(key="t3", rule="test.rule", org=world.br3, level="yellow", message="m", first_seen=AS_OF,
                           last_seen=AS_OF)
    client.force_login(world.organizer)
    data = api(client, world.dist).json()
    assert data["tree_depth"] == 2
    by_id = {n["id"]: n for n in data["tree"]}
    assert set(by_id) == {world.sta.pk, world.stb.pk}
    assert (by_id[world.sta.pk]["members"], by_id[world.sta.pk]["light"], by_id[world.sta.pk]["red_orgs"]) == (6, "red", 1)
    assert (by_id[world.stb.pk]["members"], by_id[world.stb.pk]["light"]) == (3, "yellow")
    branches = {n["id"]: n for n in by_id[world.sta.pk]["children"]}
    assert set(branches) == {world.br1.pk, world.br2.pk}
    assert branches[world.br1.pk]["light"] == "red" and branches[world.br2.pk]["light"] == "green"
    assert branches[world.br2.pk]["members"] is None  # nothing stored for it
    assert data["light"] == {"level": "red", "red_orgs": 1, "yellow_orgs": 1}


# -- rankings ------------------------------------------------------------------------------------------------------

def make_branches(world, n):
    from dangjian.orgs.models import Organization

    out = []
    for i in range(n):
        node = Organization(code=f"RB{i:03d}", name=f"第{i}支部", short_name=f"第{i}支部", org_type="branch")
        out.append(Organization.objects.add_child(Organization.objects.get(pk=world.stb.pk), instance=node))
    return out


def test_branch_ranking_is_best_first_and_ties_share_a_rank(world, client):
    store(world.dist, queries.MEMBERS, 9)
    store(world.br1, queries.BRANCH_VITALITY, 70.0)
    store(world.br2, queries.BRANCH_VITALITY, 90.0)
    store(world.br3, queries.BRANCH_VITALITY, 70.0)
    store(world.sta, queries.BRANCH_VITALITY, 99.0)  # not a branch: never ranked among branches
    extra = make_branches(world, 1)[0]
    store(extra, queries.BRANCH_VITALITY, 50.0)
    client.force_login(world.organizer)
    rows = api(client, world.dist).json()["rankings"]["vitality"]["rows"]
    assert [(r["org_id"], r["rank"]) for r in rows] == [(world.br2.pk, 1), (world.br1.pk, 2), (world.br3.pk, 2),
                                                         (extra.pk, 4)]  # ties listed in tree order
    top2 = client.get(f"/api/v1/cockpit/orgs/{world.dist.pk}/rankings/?limit=2").json()
    assert [r["org_id"] for r in top2["rows"]] == [world.br2.pk, world.br1.pk]


def test_ranking_by_improvement_since_the_previous_month_end_and_twelve_months_ago(world, client):
    store(world.dist, queries.MEMBERS, 9)
    for org, now, month, year in ((world.br1, 80.0, 70.0, 60.0), (world.br2, 85.0, 84.0, 40.0),
                                  (world.br3, 75.0, 65.0, None)):
        store(org, queries.BRANCH_VITALITY, now)
        store(org, queries.BRANCH_VITALITY, month, on=PREVIOUS)
        if year is not None:
            store(org, queries.BRANCH_VITALITY, year, on=YEAR_AGO)
    client.force_login(world.organizer)
    rankings = api(client, world.dist).json()["rankings"]
    month = rankings["improvement_month"]
    assert month["base_as_of"] == "2026-09-30"
    assert [(r["org_id"], r["rank"], r["delta_display"]) for r in month["rows"]] == [
        (world.br1.pk, 1, "+10.0 分"), (world.br3.pk, 1, "+10.0 分"), (world.br2.pk, 3, "+1.0 分")]
    year = rankings["improvement_year"]
    assert year["base_as_of"] == "2025-10-31"
    assert [r["org_id"] for r in year["rows"]] == [world.br2.pk, world.br1.pk]  # br3 has no value a year back
    by_year = client.get(f"/api/v1/cockpit/orgs/{world.dist.pk}/rankings/?by=year").json()
    assert [r["delta"] for r in by_year["rows"]] == [45.0, 20.0]


def test_improvement_without_a_previous_month_end_says_why(world, client):
    store(world.br1, queries.BRANCH_VITALITY, 80.0)
    client.force_login(world.secretary)
    month = api(client, world.br1).json()["rankings"]["improvement_month"]
    assert month["rows"] == [] and "2026-09-30" in month["note"]


def test_ranking_parameters_out_of_range_get_a_chinese_400(world, client):
    client.force_login(world.organizer)
    url = f"/api/v1/cockpit/orgs/{world.dist.pk}/rankings/"
    response = client.get(url, {"by": "speed", "limit": "0"})
    assert response.status_code == 400
    assert response.json() == {"by": ["排序方式应为 vitality、month 或 year"], "limit": ["名次数至少为 1"]}
    assert client.get(url, {"limit": "abc"}).json() == {"limit": ["名次数应为整数"]}


def test_rankings_only_include_branches_in_the_viewers_scope(world, client):
    store(world.sta, queries.MEMBERS, 6)
    store(world.br1, queries.BRANCH_VITALITY, 70.0)
    store(world.br2, queries.BRANCH_VITALITY, 90.0)
    client.force_login(world.committee_organizer)
    rows = api(client, world.sta).json()["rankings"]["vitality"]["rows"]
    assert [r["org_id"] for r in rows] == [world.br2.pk, world.br1.pk]
    client.force_login(world.secretary)
    rows = api(client, world.br1).json()["rankings"]["vitality"]["rows"]
    assert [r["org_id"] for r in rows] == [world.br1.pk]


# -- empty state and size ------------------------------------------------------------------------------------------

def test_before_any_refresh_the_cockpit_shows_the_empty_state(world, client):
    client.force_login(world.organizer)
    for path in ("/cockpit/", f"/cockpit/orgs/{world.sta.pk}/phone/"):
        response = client.get(path)
        assert response.status_code == 200
        page = response.content.decode()
        assert "尚未计算指标，请组织部门执行指标计算" in page
        assert 'data-testid="empty-state" hidden' not in page
    data = api(client, world.dist).json()
    assert data["empty"] is True and data["as_of"] is None and data["kpis"] == []
    assert data["empty_message"] == "尚未计算指标，请组织部门执行指标计算"
    ranking = client.get(f"/api/v1/cockpit/orgs/{world.dist.pk}/rankings/").json()
    assert ranking["rows"] == [] and ranking["note"] == "尚未计算指标，请组织部门执行指标计算"


def test_another_organisations_refresh_does_not_fill_this_cockpit(world, client):
    store(world.br2, queries.MEMBERS, 3)
    client.force_login(world.secretary)
    assert api(client, world.br1).json()["empty"] is True


def test_the_number_of_queries_does_not_grow_with_the_branches(world, client):
    client.force_login(world.organizer)

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert api(client, world.dist).status_code == 200
        return len(captured)

    store(world.dist, queries.MEMBERS, 9)
    store(world.br1, queries.BRANCH_VITALITY, 50)
    count()  # the first request of a session also reads the account
    few = count()
    for i, org in enumerate(make_branches(world, 40)):
        store(org, queries.MEMBERS, i)
        store(org, queries.BRANCH_VITALITY, i)
        store(org, queries.BRANCH_VITALITY, i / 2, on=PREVIOUS)
    assert count() == few


def test_the_api_is_described_in_the_openapi_schema(world, client):
    client.force_login(world.organizer)
    schema = client.get("/api/v1/schema/?format=json").json()
    assert "/api/v1/cockpit/orgs/{id}/" in schema["paths"]
    assert "/api/v1/cockpit/orgs/{id}/rankings/" in schema["paths"]
    assert "Cockpit" in schema["components"]["schemas"]
