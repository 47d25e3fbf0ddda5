"""Scopes: every API view says which scope each of its methods needs (docs/api.md, "Restricted keys").

    class TemplateList(ListView):
        required_scopes = {"GET": "templates:read", "POST": "templates:write"}

`None` means the method needs no scope (the account endpoint, which any key may
read for its own restrictions). A method a view does not declare is refused:
scopes fail closed. api/tests/test_restricted_keys.py walks the URL resolver
and fails on any API route whose methods are not declared.
"""

from rest_framework.permissions import BasePermission

from api.errors import ApiProblem

# Methods answered without running the view's code (DRF's metadata, HEAD is GET).
SCOPE_OF_METHOD = {"HEAD": "GET"}
NO_SCOPE_METHODS = {"OPTIONS"}


def required_scope(view, method: str) -> str | None:
    """The scope `method` on `view` needs; KeyError when the view does not declare it."""
    return view.required_scopes[SCOPE_OF_METHOD.get(method, method)]


class HasScope(BasePermission):
    """403 `scope_denied` naming the scope, for a key without it."""

    def has_permission(self, request, view) -> bool:
        key = request.auth
        if request.method in NO_SCOPE_METHODS or key is None:
            return True
        if not hasattr(view, SCOPE_OF_METHOD.get(request.method, request.method).lower()):
            return True  # DRF answers 405 with the Allow header
        try:
            scope = required_scope(view, request.method)
        except (AttributeError, KeyError):
            raise ApiProblem(403, "scope_denied", "This operation declares no scope, so no key may call it.") from None
        if scope is not None and not key.allows_scope(scope):
            raise ApiProblem(403, "scope_denied", f"This key lacks the {scope} scope this operation needs.")
        return True
