"""The workspace's audit log for its owners and admins (docs/workspaces.md, "Audit log")."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_safe

from accounts import roles
from accounts.models import AuditEvent
from dashboard.pagination import BoundedPaginator

AUDIT_PAGE_SIZE = 50


@require_safe
@login_required
def audit_log(request):
    """The current workspace's events, newest first; 403 for a role without `audit_log`."""
    if not roles.allows(request.membership.role, "audit_log"):
        raise PermissionDenied("Only the workspace's owner and admins see its audit log.")
    events = AuditEvent.objects.filter(workspace=request.workspace).select_related("actor")
    page = BoundedPaginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "query": "", "workspace": request.workspace}
    return render(request, "dashboard/audit.html", context)
