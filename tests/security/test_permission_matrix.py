"""Scoped access: every route reads through the scope (or is a reviewed exemption), and every role ×
route × own / sibling / cousin / parent object answers 200 or 404 exactly as the scope table says."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from dangjian.core.api import ScopedViewSetMixin
from dangjian.core.views import ScopedViewMixin

# Reviewed exemptions: these routes show no scoped data (or read it through restrict() themselves).
EXEMPT = {
    "accounts:login", "accounts:logout", "accounts:password_change", "healthz", "home",
    "api-token", "api-schema", "api-docs",
    "dues:calculator", "api-dues-calculate",  # the public dues calculator: reads no records
    "dues:payment_callback",  # the payment channel's signed confirmation of one order
    "orglife:feed",  # a calendar feed: its revocable token names one user, whose own meetings it reads via restrict()
}


def walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{p.namespace}:" if p.namespace else prefix
            yield from walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern):
            yield (f"{prefix}{p.name}" if p.name else str(p.pattern)), p.callback


def view_class(callback):
    return getattr(callback, "view_class", None) or getattr(callback, "cls", None)


def test_every_route_is_scoped_or_a_reviewed_exemption():
    uncovered, unexpected_exempt = [], []
    for name, callback in walk(get_resolver().url_patterns):
        cls = view_class(callback)
        assert cls is not None, f"{name}: function views are not allowed; use a class with the scope base"
        scoped = issubclass(cls, (ScopedViewMixin, ScopedViewSetMixin))
        exempt = bool(getattr(cls, "scope_exempt", ""))
        if not scoped and not exempt:
            uncovered.append(name)
        if exempt and name not in EXEMPT:
            unexpected_exempt.append(name)
    assert uncovered == [], f"routes without the scope base class: {uncovered}"
    assert unexpected_exempt == [], f"new exemptions need review: {unexpected_exempt}"


MEMBER_SCOPE = {  # role -> branches whose members it may view / change
    "secretary": {"BR1"}, "officer": {"BR1"}, "secretary2": {"BR2"}, "committee_organizer": {"BR1", "BR2"},
    "organizer": {"BR1", "BR2", "BR3"}, "member_user": set(), "sysadmin": set(), "secadmin": set(),
    "auditor": set(), "nobody": set(),
}
ORG_VIEW = {
    "secretary": {"BR1", "BR1G1"}, "officer": {"BR1", "BR1G1"}, "secretary2": {"BR2"},
    "committee_organizer": {"STA", "BR1", "BR1G1", "BR2"},
    "organizer": {"DIST", "STA", "BR1", "BR1G1", "BR2", "STB", "BR3"}, "member_user": {"BR1"},
    "secadmin": {"CITY", "DIST", "STA", "BR1", "BR1G1", "BR2", "STB", "BR3"},
    "sysadmin": set(), "auditor": set(), "nobody": set(),
}
ORG_CHANGE = {**{k: (v if k not in ("member_user", "secadmin") else set()) for k, v in ORG_VIEW.items()}}
ORG_MOVE = {k: (ORG_VIEW[k] if k in ("committee_organizer", "organizer") else set()) for k in ORG_VIEW}
ROLES = list(MEMBER_SCOPE)
ORG_CODES = ["CITY", "DIST", "STA", "BR1", "BR1G1", "BR2", "STB", "BR3"]


def member_targets(world):
    """own (BR1), sibling (BR2) and cousin (BR3) branch members, plus the member_user's own record."""
    return {"BR1": world.members["BR1"][1], "BR2": world.members["BR2"][0], "BR3": world.members["BR3"][0],
            "SELF": world.own_member}


def expected_member(role, key, kind):
    if key == "SELF":
        if role == "member_user":
            return kind in ("view", "reveal")
        return "BR1" in MEMBER_SCOPE[role]
    return key in MEMBER_SCOPE[role]


MEMBER_ROUTES = [
    ("view", "get", "/members/{pk}/"), ("change", "get", "/members/{pk}/edit/"),
    ("change", "get", "/members/{pk}/status/"), ("reveal", "post", "/members/{pk}/reveal/"),
    ("view", "get", "/api/v1/members/{pk}/"), ("reveal", "post", "/api/v1/members/{pk}/reveal/"),
    ("change", "patch", "/api/v1/members/{pk}/"),
]
ORG_ROUTES = [
    (ORG_VIEW, "get", "/orgs/{pk}/"), (ORG_VIEW, "get", "/orgs/{pk}/children/"),
    (ORG_CHANGE, "get", "/orgs/{pk}/edit/"), (ORG_MOVE, "get", "/orgs/{pk}/move/"),
    (ORG_MOVE, "get", "/orgs/{pk}/dissolve/"), (ORG_VIEW, "get", "/api/v1/organizations/{pk}/"),
    (ORG_CHANGE, "patch", "/api/v1/organizations/{pk}/"),
]


def call(client, method, url):
    if method == "get":
        return client.get(url)
    if method == "patch":
        return client.patch(url, {}, content_type="application/json")
    return client.post(url, {}, content_type="application/json")


@pytest.mark.parametrize("role", ROLES)
def test_member_routes_answer_exactly_as_the_scope_table_says(world, client, role):
    client.force_login(getattr(world, role))
    mismatches = []
    for key, member in member_targets(world).items():
        for kind, method, template in MEMBER_ROUTES:
            url = template.format(pk=member.pk)
            status = call(client, method, url).status_code
            allowed = expected_member(role, key, kind)
            if (status == 200) != allowed or status not in (200, 404):
                mismatches.append((url, method, key, status, allowed))
    assert mismatches == []


@pytest.mark.parametrize("role", ROLES)
def test_org_routes_answer_exactly_as_the_scope_table_says(world, client, role):
    from dangjian.orgs.models import Organization

    client.force_login(getattr(world, role))
    mismatches = []
    for code in ORG_CODES:
        pk = Organization.objects.get(code=code).pk
        for table, method, template in ORG_ROUTES:
            url = template.format(pk=pk)
            status = call(client, method, url).status_code
            allowed = code in table[role]
            if (status == 200) != allowed or status not in (200, 404):
                mismatches.append((url, method, status, allowed))
    assert mismatches == []


@pytest.mark.parametrize("role", ROLES)
def test_lists_contain_nothing_outside_the_scope(world, client, role):
    client.force_login(getattr(world, role))
    allowed_members = {m.pk for b in MEMBER_SCOPE[role] for m in world.members[b]}
    if role == "member_user":
        allowed_members = {world.own_member.pk}
    response = client.get("/api/v1/members/?page_size=500")
    if response.status_code == 200:
        assert {row["id"] for row in response.json()["results"]} <= allowed_members
    page = client.get("/members/")
    names_outside = [m.name for b, ms in world.members.items() for m in ms if m.pk not in allowed_members]
    if page.status_code == 200:
        body = page.content.decode()
        assert not any(f">{name}<" in body for name in names_outside)
    orgs = client.get("/api/v1/organizations/")
    if orgs.status_code == 200:
        assert {row["code"] for row in orgs.json()["results"]} <= ORG_VIEW[role]


def test_anonymous_requests_are_sent_to_login_or_refused(world, client):
    for url in ("/", "/orgs/", "/members/", "/members/me/", "/audit/", f"/members/{world.own_member.pk}/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    for url in ("/api/v1/members/", "/api/v1/organizations/", f"/api/v1/members/{world.own_member.pk}/"):
        assert client.get(url).status_code in (401, 403)


def test_audit_log_is_for_the_audit_administrator_only(world, client):
    for role in ROLES:
        client.force_login(getattr(world, role))
        assert client.get("/audit/").status_code == (200 if role == "auditor" else 404), role


@pytest.mark.parametrize("url", ["/members/new/", "/members/{pk}/status/"])
def test_unsafe_requests_without_a_csrf_token_are_refused(world, url):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.secretary)
    response = client.post(url.format(pk=world.members["BR1"][1].pk), {"status": "left"})
    assert response.status_code == 403


# -- IDOR through ids in the body and in filters (B6, K6) -------------------------------------------------------

def api_client(world, role):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(getattr(world, role))
    return client


def snapshot_state():
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization

    return (sorted(Member.objects.values_list("id", "org_id", "version", "status")),
            sorted(Organization.objects.values_list("id", "path", "version", "status")))


def test_a_foreign_org_in_the_body_is_refused_and_writes_nothing(world):
    from factories import member_data

    api = api_client(world, "secretary")
    before = snapshot_state()
    body = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in member_data().items()}
    for org in (world.br2, world.br3, world.sta):
        response = api.post("/api/v1/members/", {**body, "org": org.pk}, format="json")
        assert response.status_code == 400 and "org" in response.json(), response.content
    own = world.members["BR1"][1]
    response = api.patch(f"/api/v1/members/{own.pk}/", {"org": world.br3.pk}, format="json")
    assert response.status_code == 400 and "org" in response.json()
    assert snapshot_state() == before


def test_moving_into_or_out_of_a_foreign_subtree_is_refused(world):
    api = api_client(world, "committee_organizer")
    before = snapshot_state()
    response = api.post(f"/api/v1/organizations/{world.br2.pk}/move/", {"parent": world.stb.pk}, format="json")
    assert response.status_code == 400 and "parent" in response.json()
    response = api.post(f"/api/v1/organizations/{world.br3.pk}/move/", {"parent": world.sta.pk}, format="json")
    assert response.status_code == 404
    response = api.post("/api/v1/organizations/", {"parent": world.stb.pk, "code": "X1", "name": "x",
                                                   "org_type": "branch"}, format="json")
    assert response.status_code == 400 and "parent" in response.json()
    assert snapshot_state() == before


def test_the_html_forms_refuse_foreign_organisations_too(world, client):
    from factories import member_data

    client.force_login(world.secretary)
    before = snapshot_state()
    data = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in member_data().items()}
    response = client.post("/members/new/", {**data, "org": world.br3.pk})
    assert response.status_code in (200, 404)
    client.force_login(world.committee_organizer)
    response = client.post(f"/orgs/{world.br2.pk}/move/", {"parent": world.stb.pk})
    assert response.status_code in (200, 404)
    assert snapshot_state() == before


@pytest.mark.parametrize("role", ["secretary", "secretary2", "committee_organizer", "member_user"])
def test_filtering_by_a_foreign_org_id_returns_nothing_foreign(world, client, role):
    from dangjian.members.models import Member

    client.force_login(getattr(world, role))
    visible = set(Member.objects.restrict(getattr(world, role), "member.view").values_list("id", flat=True))
    for org in (world.br3, world.stb, world.city, world.dist):
        response = client.get(f"/api/v1/members/?org={org.pk}&status=")
        assert response.status_code == 200
        assert {row["id"] for row in response.json()["results"]} <= visible
        response = client.get(f"/api/v1/organizations/?parent={org.pk}")
        codes = {row["code"] for row in response.json()["results"]}
        assert codes <= ORG_VIEW[role]


def test_unknown_and_foreign_ids_answer_alike(world, client):
    """An id outside the scope and an id that does not exist both answer 404: existence is not disclosed."""
    client.force_login(world.secretary)
    foreign, missing = world.members["BR3"][0].pk, 10 ** 9
    for template in ("/members/{}/", "/api/v1/members/{}/", "/members/{}/edit/"):
        a, b = client.get(template.format(foreign)), client.get(template.format(missing))
        assert a.status_code == b.status_code == 404
    a = client.post(f"/api/v1/members/{foreign}/reveal/", {}, content_type="application/json")
    b = client.post(f"/api/v1/members/{missing}/reveal/", {}, content_type="application/json")
    assert a.status_code == b.status_code == 404 and a.json() == b.json()


# -- the matrix generated from the URLconf: every detail route, every role, every object --------------------------
# The oracle is written by hand from the role table (accounts.roles) and the fixture tree; the routes and the
# permission each one needs are read from the views, so a new detail route joins the matrix by itself.

BR1_SUBTREE, STA_SUBTREE = {"BR1", "BR1G1"}, {"STA", "BR1", "BR1G1", "BR2"}
DIST_SUBTREE = STA_SUBTREE | {"DIST", "STB", "BR3"}
ORG_ORACLE = {  # role -> permission -> organisation codes
    "secretary": {"org.view": BR1_SUBTREE, "org.change": BR1_SUBTREE},
    "officer": {"org.view": BR1_SUBTREE, "org.change": BR1_SUBTREE},
    "secretary2": {"org.view": {"BR2"}, "org.change": {"BR2"}},
    "committee_organizer": {p: STA_SUBTREE for p in ("org.view", "org.change", "org.add", "org.move", "org.dissolve")},
    "organizer": {p: DIST_SUBTREE for p in ("org.view", "org.change", "org.add", "org.move", "org.dissolve")},
    "member_user": {"org.view": {"BR1"}},
    "secadmin": {"org.view": set(ORG_CODES)},
}
MEMBER_ORACLE = {  # role -> permission -> member keys (branch codes, or SELF for the member_user's own record)
    role: {p: MEMBER_SCOPE[role] | ({"SELF"} if "BR1" in MEMBER_SCOPE[role] else set())
           for p in ("member.view", "member.change", "member.reveal")}
    for role in ("secretary", "officer", "secretary2", "committee_organizer", "organizer")
}
MEMBER_ORACLE["member_user"] = {"member.view": {"SELF"}, "member.reveal": {"SELF"}}
for _role in ("committee_organizer", "organizer"):  # sanctions are recorded by the 党委 (member lifecycle)
    MEMBER_ORACLE[_role]["discipline.manage"] = MEMBER_ORACLE[_role]["member.view"]
IMPORT_ORACLE = {"secretary": {"member.add": {"SECRETARY_JOB"}}, "organizer": {"member.add": {"ORGANIZER_JOB"}}}

# Committees, terms and elections (换届): the branch roles keep their own subtree's records, the committee roles their
# subtree's; approval reaches only the organisations strictly below the approver's own. Records are keyed by the code
# of their organisation (one per branch; the 党小组 BR1G1 for a group membership).
GOV_SCOPE = {"secretary": BR1_SUBTREE, "officer": BR1_SUBTREE, "secretary2": {"BR2"},
             "committee_organizer": STA_SUBTREE, "organizer": DIST_SUBTREE}
GOV_APPROVE = {"committee_organizer": STA_SUBTREE - {"STA"}, "organizer": DIST_SUBTREE - {"DIST"}}
for _role, _codes in GOV_SCOPE.items():
    ORG_ORACLE[_role].update({"committee.view": _codes, "committee.manage": _codes})
# Early warnings (亮灯预警) and rectification (督办): seen and worked on like the governance records; verification
# reaches only the organisations strictly below the verifier's own.
for _role, _codes in GOV_SCOPE.items():
    ORG_ORACLE[_role]["alerts.view"] = _codes
ALERTS_ORACLE = {role: {"alerts.view": codes, "alerts.manage": codes, "alerts.verify": GOV_APPROVE.get(role, set())}
                 for role, codes in GOV_SCOPE.items()}
# Organisational life (组织生活): the branch roles plan and record in their subtree, the committee roles in theirs;
# review reaches only the organisations strictly below the reviewer's own; a member reaches the meetings they are due at.
for _role, _codes in GOV_SCOPE.items():
    ORG_ORACLE[_role].update({"orglife.view": _codes, "orglife.manage": _codes})
# The cockpit (数字驾驶舱): every role that works on the tree opens the cockpit of its own subtree.
for _role, _codes in GOV_SCOPE.items():
    ORG_ORACLE[_role]["analytics.view"] = _codes
GOV_ORACLE = {role: {"committee.view": codes, "committee.manage": codes, "committee.approve": GOV_APPROVE.get(role, set())}
              for role, codes in GOV_SCOPE.items()}


def governance_models():
    from dangjian.orgs import models as m

    return (m.Term, m.CommitteeMember, m.Election, m.GroupMembership, m.JointBranchUnit)


def governance_targets(world):
    """One record of each governance model per branch (written directly: the matrix is about reading)."""
    import datetime as dt

    from dangjian.orgs import models as m

    out = {model: {} for model in governance_models()}
    for code in ("BR1", "BR2", "BR3"):
        org, member = getattr(world, code.lower()), world.members[code][0]
        day = dt.date(2024, 1, 1)
        term = m.Term.objects.create(org=org, number=1, started_on=day, ends_on=dt.date(2027, 1, 1))
        out[m.Term][code] = term
        out[m.CommitteeMember][code] = m.CommitteeMember.objects.create(
            org=org, term=term, member=member, position="secretary", started_on=day, source="recorded")
        out[m.Election][code] = m.Election.objects.create(org=org, held_on=day, seats=0, created_by=world.organizer,
                                                          electorate=[member.pk])
        out[m.JointBranchUnit][code] = m.JointBranchUnit.objects.create(org=org, name=f"{code}单位", added_on=day)
    out[m.GroupMembership]["BR1G1"] = m.GroupMembership.objects.create(
        group=world.br1g1, member=world.members["BR1"][1], started_on=dt.date(2024, 1, 1))
    return out


def import_targets(world):
    """An import job is its importer's own: one each for the secretary and the organizer."""
    from dangjian.exchange import actions

    data = ("姓名,公民身份号码,人员类别,入党日期\r\n张三,110101198503041230,工人,2010-07-01\r\n").encode()
    return {
        key: actions.do_start_import(kind="members", file_name="a.csv", data=data, root_org=org, actor=actor,
                                     run_now=True)
        for key, actor, org in (("SECRETARY_JOB", world.secretary, world.br1),
                                ("ORGANIZER_JOB", world.organizer, world.dist))
    }


def detail_routes():
    """(url template, method, model, permission) for every route that takes an object id."""
    from dangjian.exchange.models import ImportJob
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization

    out = []
    for full, pattern in walk_routes(get_resolver().url_patterns):
        if "pk" not in str(pattern.pattern):
            continue
        callback = pattern.callback
        cls = view_class(callback)
        template = "/" + full.replace("<int:pk>", "{pk}").replace("(?P<pk>[^/.]+)", "{pk}").replace("^", "").replace("$", "")
        if "(?P<format>" in template or "\\." in template:
            continue
        model = getattr(cls, "scoped_model", None)
        assert model in (Member, Organization, ImportJob, *transfer_models(), *lifecycle_models(), *governance_models(),
                         *alerts_models(), *orglife_models(), *recruitment_models()), \
            f"{template}: detail route without a scoped model"
        if getattr(callback, "actions", None):  # DRF viewset route
            for method, action in callback.actions.items():
                perm = cls.scope_perms.get(action, cls.default_perm)
                out.append((template, method, model, perm))
        else:
            for method in ("get", "post"):
                if hasattr(cls, method) and method in cls.http_method_names:
                    out.append((template, method, model, cls.perm))
    return out


def walk_routes(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk_routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def test_the_generated_matrix_covers_every_detail_route():
    templates = {t for t, *_ in detail_routes()}
    assert {"/members/{pk}/", "/orgs/{pk}/", "/api/v1/members/{pk}/", "/api/v1/organizations/{pk}/move/"} <= templates
    assert len(templates) >= 14


@pytest.mark.parametrize("role", ROLES)
def test_every_detail_route_answers_by_scope_for_every_object(world, role):
    from dangjian.exchange.models import ImportJob
    from dangjian.members.models import Member
    from dangjian.orgs.models import Organization

    from django.test import Client

    client_for_role = Client()
    client_for_role.force_login(getattr(world, role))
    targets = {Member: member_targets(world), Organization: {c: Organization.objects.get(code=c) for c in ORG_CODES},
               ImportJob: import_targets(world)}
    oracle = {Member: MEMBER_ORACLE, Organization: ORG_ORACLE, ImportJob: IMPORT_ORACLE}
    targets.update(transfer_targets(world))
    oracle.update(transfer_oracles())
    targets.update(lifecycle_targets(world))
    oracle.update(lifecycle_oracles())
    targets.update(governance_targets(world))
    oracle.update({model: GOV_ORACLE for model in governance_models()})
    targets.update(alerts_targets(world))
    oracle.update({model: ALERTS_ORACLE for model in alerts_models()})
    targets.update(orglife_targets(world))
    oracle.update(orglife_oracles())
    targets.update(recruitment_targets(world))
    oracle.update({model: RECRUITMENT_ORACLE for model in recruitment_models()})
    mismatches, cells = [], 0
    for template, method, model, perm in detail_routes():
        allowed_keys = oracle[model].get(role, {}).get(perm, set())
        for key, obj in targets[model].items():
            url = template.format(pk=obj.pk)
            if method in ("get",):
                status = client_for_role.get(url).status_code
                ok = status == 200 if key in allowed_keys else status == 404
            else:  # an empty unsafe request: in scope it is read and validated (never 404), outside it is 404
                status = (getattr(client_for_role, method)(url, {}, content_type="application/json") if "/api/" in url
                          else getattr(client_for_role, method)(url, {})).status_code
                ok = (status != 404 and status < 500) if key in allowed_keys else status == 404
            cells += 1
            if not ok:
                mismatches.append((method.upper(), url, key, perm, status, key in allowed_keys))
    assert mismatches == []
    assert cells >= 100


# -- transfers, letters to outside, letters registered from outside ----------------------------------------------
# One of each per member target, held by the member's branch on both sides, so each is in scope exactly where the
# branch is: a step is found with the permission of the side that takes it.

def transfer_models():
    from dangjian.members.models import IncomingLetter, Transfer, TransferLetter

    return (Transfer, TransferLetter, IncomingLetter)


def transfer_targets(world):
    import datetime as dt

    from dangjian.members.models import IncomingLetter, Transfer, TransferLetter

    out = {Transfer: {}, TransferLetter: {}, IncomingLetter: {}}
    for key, member in member_targets(world).items():
        out[Transfer][key] = Transfer.objects.create(member=member, from_org=member.org, to_org=member.org,
                                                     reason="工作调动", applied_by=world.secadmin)
        out[TransferLetter][key] = TransferLetter.objects.create(
            number=f"M-{key}", member=member, from_org=member.org, to_org_name="中共外省某支部委员会", reason="迁居",
            issued_on=dt.date(2026, 1, 1), valid_until=dt.date(2026, 3, 31), issued_by=world.secadmin)
        out[IncomingLetter][key] = IncomingLetter.objects.create(
            number=f"IN-{key}", from_org_name="中共外省某支部委员会", to_org=member.org, member=member,
            issued_on=dt.date(2026, 1, 1), valid_until=dt.date(2026, 3, 31), received_on=dt.date(2026, 1, 5),
            registered_by=world.secadmin)
    return out


def transfer_oracles():
    from dangjian.members.models import IncomingLetter, Transfer, TransferLetter

    staff = ("secretary", "officer", "secretary2", "committee_organizer", "organizer")
    scope = {role: MEMBER_SCOPE[role] | ({"SELF"} if "BR1" in MEMBER_SCOPE[role] else set()) for role in staff}
    sides = {role: {"member.view": scope[role], "member.change": scope[role], "member.add": scope[role],
                    **({"transfer.approve": scope[role]} if role in ("committee_organizer", "organizer") else {})}
             for role in staff}
    sides["member_user"] = {"member.view": {"SELF"}}  # their own transfer, never the branch's
    return {Transfer: sides, TransferLetter: sides, IncomingLetter: sides}


# -- member lifecycle records: absences, status-change proposals, sanctions, mobile records -------------------------
# Each is reached through its member's organisation; one per member target (BR1, BR2, BR3 and the member_user's own).

COMMITTEE_ROLES = ("committee_organizer", "organizer")


def lifecycle_models():
    from dangjian.members.models import Absence, DisciplinaryAction, MobileRecord, StatusChangeProposal

    return (Absence, DisciplinaryAction, MobileRecord, StatusChangeProposal)


def lifecycle_targets(world):
    import datetime as dt

    from dangjian.members.models import Absence, DisciplinaryAction, MobileRecord, StatusChangeProposal

    out = {Absence: {}, DisciplinaryAction: {}, MobileRecord: {}, StatusChangeProposal: {}}
    for key, member in member_targets(world).items():
        out[Absence][key] = Absence.objects.create(member=member, kind="abroad_study", since=dt.date(2024, 1, 1),
                                                   recorded_by=world.secadmin)
        out[StatusChangeProposal][key] = StatusChangeProposal.objects.create(
            member=member, kind="suspend", ground="lost_contact", reason="多次联系未果", proposed_by=world.secadmin)
        out[DisciplinaryAction][key] = DisciplinaryAction.objects.create(
            member=member, kind="warning", decided_on=dt.date(2024, 1, 1), deciding_body="区纪委",
            starts_on=dt.date(2024, 1, 1), reason="违反工作纪律", recorded_by=world.secadmin)
        out[MobileRecord][key] = MobileRecord.objects.create(
            member=member, home_org=member.org, destination="广东省深圳市", out_since=dt.date(2024, 1, 1), reason="务工",
            registered_by=world.secadmin)
    return out


def lifecycle_oracles():
    from dangjian.members.models import Absence, DisciplinaryAction, MobileRecord, StatusChangeProposal

    staff = ("secretary", "officer", "secretary2", "committee_organizer", "organizer")
    scope = {role: MEMBER_SCOPE[role] | ({"SELF"} if "BR1" in MEMBER_SCOPE[role] else set()) for role in staff}
    absences = {role: {"member.view": scope[role], "member.change": scope[role]} for role in staff}
    absences["member_user"] = {"member.view": {"SELF"}}
    proposals = {role: {"member.view": scope[role], "member.change": scope[role],
                        **({"member.status_approve": scope[role]} if role in COMMITTEE_ROLES else {})} for role in staff}
    proposals["member_user"] = {"member.view": {"SELF"}}
    discipline = {role: {"discipline.view": scope[role],
                         **({"discipline.reveal": scope[role], "discipline.manage": scope[role]}
                            if role in COMMITTEE_ROLES else {})} for role in staff}
    mobile = {role: {"member.change": scope[role]} for role in staff}
    return {Absence: absences, StatusChangeProposal: proposals, DisciplinaryAction: discipline, MobileRecord: mobile}


# -- early warnings: one finding (with its task) per branch -------------------------------------------------------

def alerts_models():
    from dangjian.alerts.models import Finding, RectificationTask

    return (Finding, RectificationTask)


def alerts_targets(world):
    """A yellow finding with an open task per branch (written directly: the matrix is about reading)."""
    import datetime as dt

    from dangjian.alerts.models import Finding, RectificationTask

    day = dt.date(2026, 6, 15)
    out = {model: {} for model in alerts_models()}
    for code in ("BR1", "BR2", "BR3"):
        org = getattr(world, code.lower())
        finding = Finding.objects.create(key=f"matrix:{code}", rule="term_due", org=org, level="yellow",
                                         message="任期将届满", evidence={}, first_seen=day, last_seen=day)
        out[Finding][code] = finding
        out[RectificationTask][code] = RectificationTask.objects.create(finding=finding, org=org, level="yellow",
                                                                         opened_on=day, deadline=day)
    return out


# -- organisational life (组织生活): one meeting (with a file), appraisal and follow-up item per branch -----------------

def orglife_models():
    from dangjian.orglife import models as m

    return (m.Meeting, m.MeetingFile, m.Appraisal, m.FollowUpItem, m.HeartTalk)


def orglife_targets(world):
    """Written directly (the matrix is about reading); each branch's members are due at its meeting."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from dangjian.orglife import files
    from dangjian.orglife import models as m

    start = dt.datetime(2026, 3, 1, 9, tzinfo=ZoneInfo("Asia/Shanghai"))
    out = {model: {} for model in orglife_models()}
    for code in ("BR1", "BR2", "BR3"):
        org = getattr(world, code.lower())
        meeting = m.Meeting.objects.create(org=org, kind="theme_day", topic="主题党日", starts_at=start,
                                           ends_at=start + dt.timedelta(hours=2), created_by=world.organizer)
        m.Attendance.objects.bulk_create([m.Attendance(meeting=meeting, member=x) for x in world.members[code]])
        out[m.Meeting][code] = meeting
        stored = f"matrix{code.lower()}"
        (files.storage_dir() / stored).write_bytes(b"\x89PNG\r\n\x1a\n")
        out[m.MeetingFile][code] = m.MeetingFile.objects.create(
            meeting=meeting, kind="photo", name="a.png", stored_name=stored, content_type="image/png", size=8,
            sha256="0" * 64, uploaded_by=world.organizer)
        appraisal = m.Appraisal.objects.create(org=org, year=2025, created_by=world.organizer)
        out[m.Appraisal][code] = appraisal
        out[m.FollowUpItem][code] = m.FollowUpItem.objects.create(org=org, member=world.members[code][0],
                                                                  title="后续处置", opened_on=dt.date(2026, 1, 10))
        out[m.HeartTalk][code] = m.HeartTalk.objects.create(
            org=org, held_on=dt.date(2026, 1, 10), initiator=world.members[code][0], counterpart=world.members[code][1],
            category="member_member", topic="谈心", recorded_by=world.organizer)
    return out


def orglife_oracles():
    from dangjian.orglife import models as m

    staff = {role: {"orglife.view": codes, "orglife.manage": codes, "orglife.review": GOV_APPROVE.get(role, set())}
             for role, codes in GOV_SCOPE.items()}
    meetings = {**staff, "member_user": {"orglife.view": {"BR1"}}}  # the meetings the member is due at
    own = {**staff, "member_user": {"orglife.view": {"BR1"}}}  # BR1's follow-up item is the member's own
    return {m.Meeting: meetings, m.MeetingFile: meetings, m.Appraisal: staff, m.FollowUpItem: own, m.HeartTalk: own}
# -- recruitment (发展党员): one candidate per branch, seen and worked on by the branch and the committees above -------

RECRUITMENT_ORACLE = {role: {"recruitment.view": codes, "recruitment.manage": codes}
                      for role, codes in GOV_SCOPE.items()}


def recruitment_models():
    from dangjian.recruitment.models import Candidate, ThoughtReport

    return (Candidate, ThoughtReport)


def recruitment_targets(world):
    import datetime as dt

    from dangjian.recruitment.models import Candidate

    out = {Candidate: {}}
    for code in ("BR1", "BR2", "BR3"):
        out[Candidate][code] = Candidate.objects.create(
            name=f"{code}申请人", gender="male", id_number="110101199001011237", id_number_index=f"matrix-{code}",
            birth_date=dt.date(1990, 1, 1), occupation_category="professional", org=getattr(world, code.lower()),
            applied_on=dt.date(2026, 1, 5))
    from dangjian.recruitment.models import ThoughtReport

    out[ThoughtReport] = {code: ThoughtReport.objects.create(
        candidate=candidate, submitted_on=dt.date(2026, 2, 1), summary="思想汇报", content=b"%PDF-1.4",
        filename="思想汇报.pdf", content_type="application/pdf", recorded_by=world.organizer)
        for code, candidate in out[Candidate].items()}
    return out
