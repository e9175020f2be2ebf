"""Built-in roles, what each may do, and the data scope each is granted with.

Scopes follow the Chinese enterprise convention (本人 / 本组织 / 本组织及下级 / 全部).
The three administrators (三权分立) are mutually exclusive and none of them may read member records.
"""

from dataclasses import dataclass

from django.db import models


class Scope(models.TextChoices):
    SELF = "self", "本人"
    ORG = "org", "本组织"
    SUBTREE = "subtree", "本组织及下级"
    ALL = "all", "全部"


class RoleName(models.TextChoices):
    MEMBER = "member", "党员"
    SECRETARY = "secretary", "支部书记"
    ORGANIZATION_OFFICER = "organization_officer", "组织委员"
    COMMITTEE_ORGANIZER = "committee_organizer", "党委组织员"
    ORG_DEPARTMENT = "org_department", "组织部"
    SYSTEM_ADMIN = "system_admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"


# Permissions are "<resource>.<action>".
MEMBER_VIEW = "member.view"
MEMBER_ADD = "member.add"
MEMBER_CHANGE = "member.change"
MEMBER_REVEAL = "member.reveal"
ORG_VIEW = "org.view"
ORG_ADD = "org.add"
ORG_CHANGE = "org.change"
ORG_MOVE = "org.move"
ORG_DISSOLVE = "org.dissolve"
TRANSFER_APPROVE = "transfer.approve"  # the sending 基层党委 approves a transfer out
DUES_VIEW = "dues.view"
DUES_MANAGE = "dues.manage"  # standards, bills, payments, reversals
AUDIT_VIEW = "audit.view"
ACCOUNT_MANAGE = "account.manage"
ROLE_ASSIGN = "role.assign"
# Member lifecycle: the higher 党委 decides status changes; discipline records are sensitive.
STATUS_APPROVE = "member.status_approve"  # the 党委 above a branch approves 停止党籍 / 除名 / 恢复党籍
DISCIPLINE_VIEW = "discipline.view"  # the list of sanctions, reason masked
DISCIPLINE_MANAGE = "discipline.manage"
DISCIPLINE_REVEAL = "discipline.reveal"  # the full reason of a sanction (audited)
# Committees, terms and elections (换届); organisation setup (组织设置). The branch keeps its own committee and
# election records; the higher committee approves a secretary and deputy elected below it (checked on the parent).
COMMITTEE_VIEW = "committee.view"
COMMITTEE_MANAGE = "committee.manage"  # terms, holders, elections, group members, units of a joint branch
COMMITTEE_APPROVE = "committee.approve"  # approval of a secretary or deputy, appointment by the higher organisation
# Early warnings (亮灯预警) and rectification (督办): the branch sees its findings and rectifies; the organisation
# above verifies the rectification of the organisations below it.
ALERTS_VIEW = "alerts.view"
ALERTS_MANAGE = "alerts.manage"  # acknowledge a task, report the rectification with its evidence
ALERTS_VERIFY = "alerts.verify"  # the higher organisation verifies (or sends back) a rectification below it
ALERTS_EVALUATE = "alerts.evaluate"  # the organisation department runs every rule now (the engine is deployment-wide)
# The local and unverified regulation values (rulebook.ADJUSTABLE): the system administrator sets them in the app.
RULES_MANAGE = "rules.manage"
# Organisational life (组织生活): the branch plans and records its meetings, talks and appraisals; the organisation
# above reviews (approves or sends back) the meeting records below it; a member sees and checks in to their own.
ORGLIFE_VIEW = "orglife.view"
ORGLIFE_MANAGE = "orglife.manage"
ORGLIFE_REVIEW = "orglife.review"
# Recruitment (发展党员): the branch records the steps; the 党委 approves (development targets under 细则2026, the 预审,
# admission and conversion) and sends someone to talk. A 党总支 reviews, never approves (checked on the org type).
RECRUITMENT_VIEW = "recruitment.view"
RECRUITMENT_MANAGE = "recruitment.manage"
RECRUITMENT_APPROVE = "recruitment.approve"
ANALYTICS_VIEW = "analytics.view"  # indicators and the cockpit of the organisations in scope
ANALYTICS_REFRESH = "analytics.refresh"  # recompute every indicator now (the refresh is deployment-wide)
STATISTICS_VIEW = "statistics.view"  # the statutory annual statistics tables (党内统计年报)
CALENDAR_MANAGE = "calendar.manage"  # holidays for the years the built-in working-day calendar does not cover


@dataclass(frozen=True)
class Role:
    name: str
    default_scope: str
    permissions: frozenset[str]
    is_admin: bool = False


_BRANCH_WORK = frozenset({MEMBER_VIEW, MEMBER_ADD, MEMBER_CHANGE, MEMBER_REVEAL, ORG_VIEW, ORG_CHANGE,
                          DUES_VIEW, DUES_MANAGE, DISCIPLINE_VIEW, COMMITTEE_VIEW, COMMITTEE_MANAGE,
                          ALERTS_VIEW, ALERTS_MANAGE,
                          ORGLIFE_VIEW, ORGLIFE_MANAGE, RECRUITMENT_VIEW, RECRUITMENT_MANAGE,
                          ANALYTICS_VIEW, STATISTICS_VIEW})
# The higher committee: restructures the tree and decides what the regulations leave to it.
_COMMITTEE_WORK = _BRANCH_WORK | {ORG_ADD, ORG_MOVE, ORG_DISSOLVE, TRANSFER_APPROVE, STATUS_APPROVE,
                                  DISCIPLINE_MANAGE, DISCIPLINE_REVEAL, COMMITTEE_APPROVE, ALERTS_VERIFY,
                                  ORGLIFE_REVIEW, RECRUITMENT_APPROVE}

ROLES: dict[str, Role] = {
    RoleName.MEMBER: Role(RoleName.MEMBER, Scope.SELF, frozenset({MEMBER_VIEW, MEMBER_REVEAL, ORG_VIEW, DUES_VIEW,
                                                                  ORGLIFE_VIEW})),
    RoleName.SECRETARY: Role(RoleName.SECRETARY, Scope.SUBTREE, _BRANCH_WORK),
    RoleName.ORGANIZATION_OFFICER: Role(RoleName.ORGANIZATION_OFFICER, Scope.SUBTREE, _BRANCH_WORK),
    RoleName.COMMITTEE_ORGANIZER: Role(RoleName.COMMITTEE_ORGANIZER, Scope.SUBTREE, _COMMITTEE_WORK),
    RoleName.ORG_DEPARTMENT: Role(RoleName.ORG_DEPARTMENT, Scope.SUBTREE, _COMMITTEE_WORK | {ALERTS_EVALUATE, ANALYTICS_REFRESH}),
    RoleName.SYSTEM_ADMIN: Role(RoleName.SYSTEM_ADMIN, Scope.ALL, frozenset({ACCOUNT_MANAGE, RULES_MANAGE, CALENDAR_MANAGE}),
                                is_admin=True),
    RoleName.SECURITY_ADMIN: Role(RoleName.SECURITY_ADMIN, Scope.ALL, frozenset({ROLE_ASSIGN, ORG_VIEW}), is_admin=True),
    RoleName.AUDIT_ADMIN: Role(RoleName.AUDIT_ADMIN, Scope.ALL, frozenset({AUDIT_VIEW}), is_admin=True),
}

ADMIN_ROLES = frozenset(name for name, role in ROLES.items() if role.is_admin)
