"""Shared fixtures: a small real organisation with one account per role.

Tree (codes in brackets):
  市委 [CITY]
  └─ 区委 [DIST]                       ← organizer (组织部, subtree)
     ├─ 街道党工委 A [STA]             ← committee_organizer (党委组织员, subtree)
     │  ├─ 第一支部 [BR1]              ← secretary (支部书记), officer (组织委员); member_user is a member here
     │  │  └─ 第一党小组 [BR1G1]
     │  └─ 第二支部 [BR2]              ← secretary2 (sibling branch)
     └─ 街道党工委 B [STB]
        └─ 第三支部 [BR3]              (cousin branch)
Each branch has 3 members; BR1's first member is linked to the member_user account.
"""
from __future__ import annotations

import pytest

from dangjian.accounts import actions as account_actions
from dangjian.accounts.roles import RoleName
from dangjian.core import crypto
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from factories import PASSWORD, member_data


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["factories.FastArgon2PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_keys(settings, tmp_path):
    """Each test gets its own key file, so no test depends on another's keys."""
    settings.KEY_FILE = tmp_path / "keys.json"
    settings.DATA_KEY = ""
    crypto.reset_provider()
    yield
    crypto.reset_provider()


@pytest.fixture(autouse=True)
def _fresh_rule_settings(request):
    """Values set in the app are cached per process: every test starts and ends without a stale cache. A test
    without a database sees no settings in the app (it could not have made any)."""
    from dangjian.core import rulebook

    rulebook.forget_settings()
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db:
        rulebook._settings.update(loaded_at=float("inf"), values={})
    yield
    rulebook.forget_settings()


@pytest.fixture(autouse=True)
def _isolated_import_files(settings, tmp_path):
    """Uploaded files waiting for import live in the test's own folder."""
    settings.IMPORT_DIR = tmp_path / "imports"
    settings.EXCHANGE_KEY_FILE = tmp_path / "exchange-keys.json"
    settings.ANALYTICS_DIR = tmp_path / "analytics"  # the indicators' staging file


@pytest.fixture(autouse=True)
def _isolated_orglife_files(settings, tmp_path):
    """Meeting attachments and photos live in the test's own folder."""
    settings.ORGLIFE_FILE_DIR = tmp_path / "orglife"


def _org(parent, code, name, org_type):
    data = dict(code=code, name=name, short_name=name, org_type=org_type)
    node = Organization(**data)
    return Organization.objects.add_root(instance=node) if parent is None else Organization.objects.add_child(parent, instance=node)


def _account(username, role=None, org=None, **kw):
    user = account_actions.do_create_account(username=username, password=PASSWORD, display_name=username)
    if role:
        account_actions.do_assign_role(user, role=role, org=org, **kw)
    user.forget_assignments()
    return user


class World:
    """Handles to the fixture tree and its accounts."""


@pytest.fixture
def world(db):
    w = World()
    w.city = _org(None, "CITY", "中共示范市委员会", "committee")
    w.dist = _org(w.city, "DIST", "中共示范区委员会", "committee")
    w.sta = _org(w.dist, "STA", "中共东华街道工作委员会", "working_committee")
    w.br1 = _org(w.sta, "BR1", "中共东华街道第一支部委员会", "branch")
    w.br1g1 = _org(w.br1, "BR1G1", "第一党小组", "group")
    w.br2 = _org(w.sta, "BR2", "中共东华街道第二支部委员会", "branch")
    w.stb = _org(w.dist, "STB", "中共西城街道工作委员会", "working_committee")
    w.br3 = _org(w.stb, "BR3", "中共西城街道第三支部委员会", "branch")
    for name in ("city", "dist", "sta", "br1", "br1g1", "br2", "stb", "br3"):
        setattr(w, name, Organization.objects.get(pk=getattr(w, name).pk))
    w.members = {}
    for branch in (w.br1, w.br2, w.br3):
        w.members[branch.code] = [
            Member.objects.create(org=branch, id_number_index=f"seed-{branch.code}-{i}", name_initials="",
                                  **member_data()) for i in range(3)
        ]
    # Real blind indexes and initials, as the actions layer would compute them.
    from dangjian.members.search import id_number_index, name_initials

    for m in Member.objects.all():
        m.id_number_index = id_number_index(m.id_number)
        m.name_initials = name_initials(m.name)
        m.save(update_fields=["id_number_index", "name_initials"])
    w.members = {code: [Member.objects.get(pk=m.pk) for m in ms] for code, ms in w.members.items()}
    # Written directly, like the demo's bulk rows: their history starts with the record.
    from dangjian.members.history import open_missing_periods
    from dangjian.orgs.history import open_missing_versions

    open_missing_versions()
    open_missing_periods()

    w.organizer = _account("organizer", RoleName.ORG_DEPARTMENT, w.dist)
    w.committee_organizer = _account("committee_organizer", RoleName.COMMITTEE_ORGANIZER, w.sta)
    w.secretary = _account("secretary", RoleName.SECRETARY, w.br1)
    w.officer = _account("officer", RoleName.ORGANIZATION_OFFICER, w.br1)
    w.secretary2 = _account("secretary2", RoleName.SECRETARY, w.br2)
    w.member_user = _account("member_user", RoleName.MEMBER, w.br1)
    w.own_member = w.members["BR1"][0]
    w.own_member.user = w.member_user
    w.own_member.save(update_fields=["user"])
    w.sysadmin = _account("sysadmin", RoleName.SYSTEM_ADMIN)
    w.secadmin = _account("secadmin", RoleName.SECURITY_ADMIN)
    w.auditor = _account("auditor", RoleName.AUDIT_ADMIN)
    w.nobody = _account("nobody")
    w.password = PASSWORD
    return w
