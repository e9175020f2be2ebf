"""The one data-scope mechanism: a user's role assignments become a filter over the org tree."""

from __future__ import annotations

from django.db.models import Q

from .roles import Scope


def scope_filter(user, perm: str, *, org_field: str = "org", self_q=None) -> Q | None:
    """A Q for the rows `user` may reach for `perm`; None means everything (an all-scope role).

    `org_field` names the row's organisation ("org" for a member, "" for an organisation itself);
    `self_q` gives the user's own rows for the 本人 (self) scope.
    """
    nothing = Q(pk__in=[])
    if user is None or not user.is_authenticated:
        return nothing
    prefix = f"{org_field}__" if org_field else ""
    condition = nothing
    for assignment in user.assignments_for(perm):
        if assignment.scope == Scope.ALL:
            return None
        if assignment.scope == Scope.SELF and self_q is not None:
            condition |= self_q(user)
        elif assignment.org is None:
            continue
        elif assignment.scope == Scope.SUBTREE:
            condition |= Q(**{f"{prefix}path__startswith": assignment.org.path})
        else:  # ORG, and SELF for rows that have no owner of their own: the organisation the role is held in
            condition |= Q(**{f"{prefix}pk" if not org_field else f"{org_field}_id": assignment.org_id})
    return condition


def restrict(queryset, user, perm: str, **kwargs):
    condition = scope_filter(user, perm, **kwargs)
    return queryset if condition is None else queryset.filter(condition)
