from .roles import ROLES


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    assignments = user.active_assignments()
    return {
        "my_assignments": assignments,
        "my_perms": {perm for a in assignments for perm in ROLES[a.role].permissions},
    }
