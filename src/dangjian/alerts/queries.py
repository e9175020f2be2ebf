"""Reads of the warning engine: lights per organisation and rule, rolled up the tree; what needs the user's
attention. Each board is one grouped query over the findings of the subtree (plus one for the children)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count
from django.urls import reverse

from dangjian.accounts import roles

from .choices import LEVEL_RANK, Level, OPEN_STATES, TaskState
from .models import Finding, RectificationTask
from .rules import REGISTRY

STEP = 4  # treebeard steplen of Organization


def worst(levels) -> str:
    return max(levels, key=lambda lv: LEVEL_RANK[lv], default=Level.GREEN)


@dataclass
class ChildLight:
    org: object
    level: str = Level.GREEN
    red_orgs: int = 0
    yellow_orgs: int = 0
    rules: dict = field(default_factory=lambda: defaultdict(lambda: {"red": 0, "yellow": 0}))

    @property
    def rule_rows(self):
        return sorted(((REGISTRY[c].name if c in REGISTRY else c, c, v) for c, v in self.rules.items()),
                      key=lambda r: (-r[2]["red"], -r[2]["yellow"], r[0]))


@dataclass
class Board:
    org: object
    own: dict  # rule code → level of the organisation's own findings
    level: str  # the worst light in the whole subtree
    children: list[ChildLight]
    rules: list  # (rule name, code, red orgs, yellow orgs, findings) over the subtree

    @property
    def own_level(self) -> str:
        return worst(self.own.values())


def board(org, user) -> Board:
    """The lights of `org` and of each organisation directly below it, counting every organisation of the subtree."""
    from dangjian.orgs.models import Organization

    rows = (Finding.objects.restrict(user, roles.ALERTS_VIEW)
            .filter(org__path__startswith=org.path, resolved_on__isnull=True)
            .values("org_id", "org__path", "rule", "level").annotate(n=Count("id")).order_by())
    per_org_rule: dict[tuple[str, str], str] = {}
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        key = (row["org__path"], row["rule"])
        per_org_rule[key] = worst([per_org_rule.get(key, Level.GREEN), row["level"]])
        counts[row["rule"]] += row["n"]
    children = {c.path: ChildLight(c) for c in Organization.objects.filter(
        path__startswith=org.path, depth=org.depth + 1).order_by("path")}
    own: dict[str, str] = {}
    per_org_level: dict[str, str] = defaultdict(lambda: Level.GREEN)
    rule_orgs: dict[str, dict[str, int]] = defaultdict(lambda: {"red": 0, "yellow": 0})
    for (path, rule), level in per_org_rule.items():
        per_org_level[path] = worst([per_org_level[path], level])
        rule_orgs[rule][level] += 1
        if path == org.path:
            own[rule] = level
            continue
        child = children.get(path[:(org.depth + 1) * STEP])
        if child is not None:
            child.rules[rule][level] += 1
    for path, level in per_org_level.items():
        child = children.get(path[:(org.depth + 1) * STEP]) if path != org.path else None
        if child is None:
            continue
        child.level = worst([child.level, level])
        child.red_orgs += level == Level.RED
        child.yellow_orgs += level == Level.YELLOW
    rules = sorted(((REGISTRY[c].name if c in REGISTRY else c, c, v["red"], v["yellow"], counts[c])
                    for c, v in rule_orgs.items()), key=lambda r: (-r[2], -r[3], r[0]))
    return Board(org, own, worst(per_org_level.values()), list(children.values()), rules)


def my_tasks(user):
    """Open tasks of the organisations the user holds (or escalated to them), and rectified tasks below the user
    awaiting verification."""
    from django.db.models import Q

    # Mine: tasks of the organisations I hold a role in, and tasks escalated to them (not the whole subtree's).
    held = [a.org_id for a in user.assignments_for(roles.ALERTS_MANAGE) if a.org_id]
    manage = (RectificationTask.objects.restrict(user, roles.ALERTS_MANAGE).filter(state__in=OPEN_STATES)
              .filter(Q(org_id__in=held) | Q(escalated_to_id__in=held))
              if held else RectificationTask.objects.none())
    verify = (RectificationTask.objects.restrict(user, roles.ALERTS_VERIFY).filter(state=TaskState.RECTIFIED)
              if user.has_perm_anywhere(roles.ALERTS_VERIFY) else RectificationTask.objects.none())
    return manage, verify


def attention_items(user, today=None) -> list:
    import datetime as dt

    from dangjian.members.queries import AttentionItem

    today = today or dt.date.today()
    manage, verify = my_tasks(user)
    url = reverse("alerts:tasks")
    items = []
    own = manage.exclude(state=TaskState.RECTIFIED)
    counts = own.aggregate(total=Count("id"), overdue=Count("id", filter=_overdue(today)),
                           red=Count("id", filter=_red()))
    if counts["total"]:
        items.append(AttentionItem("待整改的督办任务", counts["total"],
                                   f"其中红灯 {counts['red']} 项、已逾期 {counts['overdue']} 项，请签收并按时报告整改情况",
                                   url=url, level="red" if counts["red"] or counts["overdue"] else "yellow"))
    waiting = verify.count()
    if waiting:
        items.append(AttentionItem("待核验的整改", waiting, "下级党组织已报告整改情况，请核验销号或退回",
                                   url=url, level="yellow"))
    return items


def _overdue(today):
    from django.db.models import Q

    return Q(deadline__lt=today)


def _red():
    from django.db.models import Q

    return Q(level=Level.RED)


@dataclass
class RuleMetrics:
    code: str
    name: str
    open: int = 0
    closed: int = 0
    reopened: int = 0  # times a closed task had to be reopened (the problem came back)
    days_to_close: list = field(default_factory=list)

    @property
    def median_days(self):
        import statistics

        return statistics.median(self.days_to_close) if self.days_to_close else None


def task_metrics(org, user) -> list[RuleMetrics]:
    """Per rule over the organisation's subtree: open and closed tasks, median days from opening to closing,
    recurrences. One query."""
    out: dict[str, RuleMetrics] = {}
    rows = (RectificationTask.objects.restrict(user, roles.ALERTS_VIEW).filter(org__path__startswith=org.path)
            .values_list("finding__rule", "state", "opened_on", "closed_on", "reopened"))
    for rule, state, opened_on, closed_on, reopened in rows.iterator(chunk_size=5000):
        m = out.setdefault(rule, RuleMetrics(rule, REGISTRY[rule].name if rule in REGISTRY else rule))
        m.reopened += reopened
        if state == TaskState.CLOSED:
            m.closed += 1
            m.days_to_close.append((closed_on - opened_on).days)
        else:
            m.open += 1
    return sorted(out.values(), key=lambda m: (-m.open, m.name))


@dataclass
class SubtreeLight:
    level: str = Level.GREEN
    red_orgs: int = 0
    yellow_orgs: int = 0

    @property
    def title(self) -> str:
        if self.level == Level.GREEN:
            return "本组织及下级组织没有未消除的预警"
        return f"本组织及下级组织中红灯 {self.red_orgs} 个、黄灯 {self.yellow_orgs} 个"


def subtree_lights(nodes, user) -> None:
    """The light map of the org tree: set `.light` on each node (its subtree's worst open finding and how many of its
    organisations are red or yellow), from one grouped query over the findings the user may see. Nothing is set for
    a user who may not see warnings."""
    from django.db.models import Q

    nodes = list(nodes)
    if not nodes or not user.has_perm_anywhere(roles.ALERTS_VIEW):
        return
    by_path = {node.path: node for node in nodes}
    for node in nodes:
        node.light = SubtreeLight()
    within = Q()
    for path in _outermost(by_path):
        within |= Q(org__path__startswith=path)
    rows = (Finding.objects.restrict(user, roles.ALERTS_VIEW).filter(within, resolved_on__isnull=True)
            .values("org__path").annotate(red=Count("id", filter=Q(level=Level.RED))).order_by())
    depths = sorted({len(path) for path in by_path})
    for row in rows:
        path, level = row["org__path"], Level.RED if row["red"] else Level.YELLOW
        for length in depths:
            node = by_path.get(path[:length])
            if node is None:
                continue
            light = node.light
            light.level = worst([light.level, level])
            light.red_orgs += level == Level.RED
            light.yellow_orgs += level == Level.YELLOW


def _outermost(paths) -> list[str]:
    tops: list[str] = []
    for path in sorted(paths):
        if not any(path.startswith(top) for top in tops):
            tops.append(path)
    return tops


def member_findings(member, user) -> list:
    """The open findings about one member (member-level lights), if the user may see warnings there."""
    if not user.has_perm_anywhere(roles.ALERTS_VIEW):
        return []
    found = Finding.objects.restrict(user, roles.ALERTS_VIEW).filter(member=member, resolved_on__isnull=True)
    return sorted(found, key=lambda f: (-LEVEL_RANK[f.level], f.rule))


def member_levels(member_ids, user) -> dict[int, str]:
    """member id → the worst open finding about them, for a list page (one query)."""
    if not user.has_perm_anywhere(roles.ALERTS_VIEW):
        return {}
    levels: dict[int, str] = {}
    for member_id, level in (Finding.objects.restrict(user, roles.ALERTS_VIEW)
                             .filter(member_id__in=list(member_ids), resolved_on__isnull=True)
                             .values_list("member_id", "level")):
        levels[member_id] = worst([levels.get(member_id, Level.GREEN), level])
    return levels
