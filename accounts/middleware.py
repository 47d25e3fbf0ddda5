"""The dashboard's current workspace (docs/workspaces.md, "The current workspace").

A signed-in browser request carries `request.membership` (the user's membership of the
workspace they work in) and `request.workspace`: the one chosen in the session while the
user is still a member of it, else their personal workspace. Both are looked up on
first use only. API requests get theirs from the key instead (`request.auth.workspace`):
a key belongs to one workspace.
"""

from django.utils.functional import SimpleLazyObject

from accounts.models import Membership, personal_workspace

SESSION_KEY = "workspace"


def current_membership(request) -> Membership | None:
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("workspace").filter(user=user)
    chosen = request.session.get(SESSION_KEY)
    if chosen:
        membership = memberships.filter(workspace__public_id=chosen).first()
        if membership is not None:
            return membership
        # Removed from it since: back to the personal workspace, at once.
        request.session.pop(SESSION_KEY, None)
    return memberships.get(workspace=personal_workspace(user), personal=True)


def choose_workspace(request, membership: Membership) -> None:
    """Work in `membership`'s workspace from the next request on (the switcher)."""
    request.session[SESSION_KEY] = membership.workspace.public_id


class CurrentWorkspaceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = SimpleLazyObject(lambda: current_membership(request))
        request.membership = membership
        request.workspace = SimpleLazyObject(lambda: membership.workspace if membership else None)
        return self.get_response(request)
