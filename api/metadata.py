"""What OPTIONS answers on /api/v1/: the methods a path takes (also in `Allow`).

DRF's default describes each serializer's fields as a form and, on detail
paths, loads the object through `get_object()`, which our views do not use
(they look objects up through the access-checked getters): it crashed (500).
The OpenAPI document is where fields are described.
"""

from rest_framework.metadata import BaseMetadata


class AllowedMethodsMetadata(BaseMetadata):
    def determine_metadata(self, request, view) -> dict:
        return {"name": view.get_view_name(), "methods": view.allowed_methods}
