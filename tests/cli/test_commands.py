"""The dangjian command: seed, admin creation, audit verification, key rotation, production refusals."""

import subprocess
import sys
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dangjian.accounts.models import User
from dangjian.core import crypto
from dangjian.core.demo import DemoBuilder
from dangjian.members.idnumber import parse_id_number
from dangjian.members.models import Member
from dangjian.members.rules import add_years
from dangjian.orgs.choices import ALLOWED_CHILDREN, ROOT_TYPES
from dangjian.orgs.models import Organization


@pytest.fixture
def seeded(db):
    call_command("seed", members=300)


def test_seed_is_deterministic_for_a_given_random_seed():
    def sample(seed):
        b = DemoBuilder(300, seed)
        b.build_tree()
        used = set()
        return [o.code + o.name for o in b.orgs], [b._member(1, used).id_number for _ in range(50)]

    assert sample(2026) == sample(2026)
    assert sample(2026) != sample(7)


def test_seeded_members_have_valid_consistent_id_numbers_and_join_dates(seeded):
    from dangjian.recruitment.models import Candidate

    members = list(Member.objects.all())
    admitted = Candidate.objects.filter(member__isnull=False).count()  # the demo's recruitment admits a few
    assert admitted and len(members) == 300 + admitted
    for m in members:
        facts = parse_id_number(m.id_number)
        assert facts.birth_date == m.birth_date and (m.gender == "male") == facts.is_male
        assert m.joined_on >= add_years(m.birth_date, 18)
        assert (m.converted_on is None) == (m.category == "probationary")


def test_seeded_shares_are_realistic(db):
    call_command("seed", members=5000)
    n = Member.objects.count()
    women = Member.objects.filter(gender="female").count() / n
    minorities = Member.objects.exclude(ethnicity="汉族").count() / n
    assert 0.26 < women < 0.35 and 0.05 < minorities < 0.11
    assert len(set(Member.objects.values_list("name", flat=True))) > n * 0.5


def test_seeded_tree_is_consistent_and_respects_the_type_rules(seeded):
    assert Organization.objects.find_problems() == ([], [], [], [], [])
    by_path = {o.path: o for o in Organization.objects.all()}
    for org in by_path.values():
        parent = by_path.get(org.path[:-4])
        if parent is None:
            assert org.org_type in ROOT_TYPES
        else:
            assert org.org_type in ALLOWED_CHILDREN[parent.org_type], (parent.code, org.code)
        assert org.numchild == sum(1 for p in by_path if p.startswith(org.path) and len(p) == len(org.path) + 4)
    assert Counter(o.depth for o in by_path.values())[1] == 1


def test_demo_accounts_have_their_roles_and_scopes(seeded):
    sec = User.objects.get(username="demo_secretary")
    branch = sec.role_assignments.get().org
    assert set(Member.objects.restrict(sec, "member.view")) == set(Member.objects.filter(org=branch))
    assert Member.objects.filter(org=branch).count() >= 10
    organizer = User.objects.get(username="demo_organizer")
    assert organizer.role_assignments.get().org.code == "D01"
    member = User.objects.get(username="demo_member")
    assert member.member.org == branch
    for name, role in (("sysadmin", "system_admin"), ("secadmin", "security_admin"), ("auditor", "audit_admin")):
        assert User.objects.get(username=name).role_names() == {role}
    assert sec.check_password("Demo-2026-dj")


def test_seed_refuses_a_non_empty_database(seeded):
    with pytest.raises(CommandError, match="空数据库"):
        call_command("seed", members=300)


def test_seed_refuses_in_production(settings, db):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="生产环境"):
        call_command("seed", members=300)


def test_createadmin_makes_an_administrator_with_a_random_policy_password(db, capsys):
    call_command("createadmin", role="audit_admin", username="audit1")
    out = capsys.readouterr().out
    password = out.strip().split("：")[-1]
    user = User.objects.get(username="audit1")
    assert len(password) >= 16 and user.check_password(password)
    assert user.role_names() == {"audit_admin"} and user.password_changed_at is None


def test_rotating_the_data_key_reencrypts_every_value(seeded, settings):
    before = {m.pk: (m.id_number, m.phone) for m in Member.objects.all()}
    old_key = crypto.provider().ring.current
    call_command("rotate_data_key")
    crypto.reset_provider()
    after = {m.pk: (m.id_number, m.phone) for m in Member.objects.all()}
    assert after == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, address FROM members_member")
        key_ids = {value.split(":")[1] for row in cursor.fetchall() for value in row if value}
    assert key_ids == {crypto.provider().ring.current} and old_key not in key_ids


def test_rotation_refuses_when_keys_come_from_the_environment(settings, db):
    settings.DATA_KEY = "00112233445566778899aabbccddeeff"
    crypto.reset_provider()
    with pytest.raises(CommandError, match="DANGJIAN_DATA_KEY"):
        call_command("rotate_data_key")


def test_the_command_line_reports_configuration_errors_cleanly(tmp_path):
    env = {"DANGJIAN_ENV": "production", "DANGJIAN_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "dangjian.cli", "serve"], env=env, capture_output=True, text=True)
    assert result.returncode == 2 and "配置错误" in result.stderr and "Traceback" not in result.stderr


def test_production_check_fails_on_sqlite_and_missing_keys(tmp_path):
    env = {"DANGJIAN_ENV": "production", "DANGJIAN_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin",
           "DANGJIAN_SECRET_KEY": "x" * 30 + "y" * 30, "DANGJIAN_DATA_KEY": "00112233445566778899aabbccddeeff"}
    result = subprocess.run([sys.executable, "-m", "dangjian.cli", "check"], env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "PostgreSQL" in result.stderr
