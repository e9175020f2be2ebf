"""三权分立: the three administrators are separate people, none can read member records; no superuser."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dangjian.accounts import actions
from dangjian.accounts.models import User
from dangjian.accounts.roles import ADMIN_ROLES, RoleName
from dangjian.members.models import Member


@pytest.mark.parametrize("first, second", [
    (RoleName.SYSTEM_ADMIN, RoleName.SECURITY_ADMIN), (RoleName.SECURITY_ADMIN, RoleName.AUDIT_ADMIN),
    (RoleName.AUDIT_ADMIN, RoleName.SYSTEM_ADMIN),
])
def test_one_account_cannot_hold_two_administrator_roles(world, first, second):
    user = actions.do_create_account(username=f"adm_{first}", password=world.password)
    actions.do_assign_role(user, role=first)
    with pytest.raises(ValidationError, match="不能与其他角色兼任"):
        actions.do_assign_role(user, role=second)


def test_administrators_cannot_take_business_roles_and_vice_versa(world):
    with pytest.raises(ValidationError, match="管理员账号不能兼任业务角色"):
        actions.do_assign_role(world.auditor, role=RoleName.SECRETARY, org=world.br1)
    with pytest.raises(ValidationError, match="不能与其他角色兼任"):
        actions.do_assign_role(world.secretary, role=RoleName.AUDIT_ADMIN)


@pytest.mark.parametrize("name", ["sysadmin", "secadmin", "auditor"])
def test_no_administrator_can_list_member_records(world, name):
    user = getattr(world, name)
    for perm in ("member.view", "member.change", "member.reveal"):
        assert Member.objects.restrict(user, perm).count() == 0


def test_only_the_security_administrator_may_assign_roles(world):
    with pytest.raises(Exception):
        actions.do_assign_role(world.nobody, role=RoleName.MEMBER, org=world.br1, actor=world.sysadmin)
    actions.do_assign_role(world.nobody, role=RoleName.MEMBER, org=world.br1, actor=world.secadmin)


def test_a_superuser_cannot_exist(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="root", is_superuser=True)


def test_admin_role_set_is_the_three_administrators():
    assert ADMIN_ROLES == {"system_admin", "security_admin", "audit_admin"}


def test_no_path_makes_a_superuser(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_superuser(username="root2", password="Root-Pass-2026!")
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=world.sysadmin.pk).update(is_superuser=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        user = User.objects.get(pk=world.nobody.pk)
        user.is_superuser = True
        user.save()
    assert not User.objects.filter(is_superuser=True).exists()


@pytest.mark.parametrize("admin", [RoleName.SYSTEM_ADMIN, RoleName.SECURITY_ADMIN, RoleName.AUDIT_ADMIN])
@pytest.mark.parametrize("business", [RoleName.MEMBER, RoleName.SECRETARY, RoleName.ORGANIZATION_OFFICER,
                                      RoleName.COMMITTEE_ORGANIZER, RoleName.ORG_DEPARTMENT])
def test_administrator_and_business_roles_never_meet_on_one_account(world, admin, business):
    a = actions.do_create_account(username=f"a_{admin}_{business}", password=world.password)
    actions.do_assign_role(a, role=admin)
    with pytest.raises(ValidationError, match="管理员账号不能兼任业务角色"):
        actions.do_assign_role(a, role=business, org=world.br1)
    b = actions.do_create_account(username=f"b_{admin}_{business}", password=world.password)
    actions.do_assign_role(b, role=business, org=world.br1)
    with pytest.raises(ValidationError, match="不能与其他角色兼任"):
        actions.do_assign_role(b, role=admin)


def test_the_same_administrator_role_cannot_be_granted_twice(world):
    with pytest.raises(ValidationError):
        actions.do_assign_role(world.auditor, role=RoleName.AUDIT_ADMIN)


def test_after_revocation_an_account_may_take_another_duty(world):
    actions.do_revoke_role(world.auditor.role_assignments.get(), actor=world.secadmin)
    actions.do_assign_role(world.auditor, role=RoleName.SYSTEM_ADMIN, actor=world.secadmin)
    world.auditor.forget_assignments()
    assert world.auditor.role_names() == {"system_admin"}


def test_a_business_role_needs_an_organisation(world):
    with pytest.raises(ValidationError) as exc:
        actions.do_assign_role(world.nobody, role=RoleName.SECRETARY)
    assert "org" in exc.value.message_dict


@pytest.mark.parametrize("name", ["sysadmin", "auditor", "secretary", "organizer", "nobody"])
def test_only_the_security_administrator_grants_and_revokes(world, name):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.do_assign_role(world.nobody, role=RoleName.MEMBER, org=world.br1, actor=getattr(world, name))
    with pytest.raises(PermissionDenied):
        actions.do_revoke_role(world.secretary2.role_assignments.get(), actor=getattr(world, name))


def test_only_the_system_administrator_creates_accounts(world):
    from django.core.exceptions import PermissionDenied

    for name in ("secadmin", "auditor", "organizer", "secretary"):
        with pytest.raises(PermissionDenied):
            actions.do_create_account(username=f"by_{name}", password="Created-Pass-2026", actor=getattr(world, name))
    actions.do_create_account(username="by_sysadmin", password="Created-Pass-2026", actor=world.sysadmin)


def test_the_deployment_check_refuses_an_active_superuser(world, settings):
    from django.db import connection

    from dangjian.core.checks import no_superusers_and_keys

    settings.PRODUCTION = True
    settings.DATA_KEY = "00" * 16
    assert [e.id for e in no_superusers_and_keys(None) if e.id == "dangjian.E001"] == []
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:  # the constraint is the real guard; simulate a database without it
            cursor.execute("PRAGMA ignore_check_constraints = ON")
            cursor.execute("UPDATE accounts_user SET is_superuser = 1 WHERE id = %s", [world.nobody.pk])
            cursor.execute("PRAGMA ignore_check_constraints = OFF")
        assert "dangjian.E001" in [e.id for e in no_superusers_and_keys(None)]
