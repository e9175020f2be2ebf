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
