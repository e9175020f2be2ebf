"""Read helpers for the tree: one level at a time, with subtree member counts in one query."""

from django.db.models import Count
from django.db.models.functions import Substr

from dangjian.members.choices import MemberStatus
from dangjian.members.models import Member

from .models import Organization


def subtree_member_counts(parent: Organization) -> dict[str, int]:
    """Active members under each child of `parent` (child path -> count), in one grouped query."""
    prefix_len = (parent.depth + 1) * Organization.steplen
    rows = (
        Member.objects.filter(status=MemberStatus.NORMAL, org__path__startswith=parent.path,
                              org__depth__gt=parent.depth)
        .annotate(branch=Substr("org__path", 1, prefix_len))
        .values("branch")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["branch"]: row["n"] for row in rows}


def subtree_member_count(org: Organization) -> int:
    return Member.objects.filter(status=MemberStatus.NORMAL, org__path__startswith=org.path).count()


def children_with_counts(parent: Organization, visible):
    """The visible children of `parent`, each with `.member_count` for its whole subtree."""
    children = list(visible.filter(path__startswith=parent.path, depth=parent.depth + 1).order_by("sort_order", "path"))
    counts = subtree_member_counts(parent)
    for child in children:
        child.member_count = counts.get(child.path, 0)
    return children



def top_visible(user, perm: str) -> list[Organization]:
    """The highest organisations the user sees: the nodes of their role assignments (or the roots
    for an all-scope role), without those already inside another of them."""
    from dangjian.accounts.roles import Scope

    assignments = user.assignments_for(perm)
    if any(a.scope == Scope.ALL for a in assignments):
        return list(Organization.objects.filter(depth=1).order_by("path"))
    nodes = sorted({a.org.path: a.org for a in assignments if a.org is not None}.items())
    tops: list[Organization] = []
    for path, org in nodes:
        if not any(path.startswith(t.path) for t in tops):
            tops.append(org)
    return tops


def with_parent_pk(queryset):
    """Annotate `parent_pk` in the same query (the parent's path is the node's path less one step)."""
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import Length, Substr

    parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Organization.steplen)
    return queryset.annotate(
        parent_pk=Subquery(Organization.objects.filter(path=parent_path).values("pk")[:1])
    )


def as_of(org: Organization, day) -> dict | None:
    """The subtree of `org` as it stood on `day`, each organisation with the members directly in it and in its
    subtree that day. None when the organisation did not exist on `day`."""
    from dangjian.members.history import counts_by_org_on

    from .history import subtree_on

    versions = list(subtree_on(org, day).order_by("path"))
    if not versions:
        return None
    direct = counts_by_org_on(org, day)
    keys = ("total", "full", "probationary")
    below = {v.path: dict.fromkeys(keys, 0) for v in versions}
    for version in reversed(versions):  # children sort after their parent: add each subtree into its parent's
        own = direct.get(version.org_id)
        if own:
            for key in keys:
                below[version.path][key] += own[key]
        parent = below.get(version.path[:-Organization.steplen])
        if parent is not None and version is not versions[0]:
            for key in keys:
                parent[key] += below[version.path][key]
    zero = dict.fromkeys(keys, 0)
    rows = [{"version": v, "level": v.depth - versions[0].depth, "direct": direct.get(v.org_id, zero),
             "subtree": below[v.path]} for v in versions]
    return {"date": day, "root": rows[0], "rows": rows}
