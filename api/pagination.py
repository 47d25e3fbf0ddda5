from rest_framework import pagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.errors import ApiProblem

# `count` is exact up to here and capped above it (docs/api.md, "Lists"): counting is one
# bounded COUNT over at most COUNT_BOUND + 1 rows, whatever the size of the account's history.
COUNT_BOUND = 10_000


def query_problem(field: str, message: str) -> ApiProblem:
    """400 validation_error naming one query parameter (what the OpenAPI document promises)."""
    return ApiProblem(
        400,
        "validation_error",
        "The request has invalid fields.",
        [{"field": field, "code": "invalid", "message": message}],
    )


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`?limit=` (default 20; 1 or more, more than 100 counts as 100) and `?offset=`
    (0 or more), as docs/api.md sets.

    DRF's own class quietly replaces a bad value with the default; ours answers
    400, so a typo is not mistaken for "the first page".

    `count` is exact up to COUNT_BOUND and capped at it above, with `count_exact`
    saying which: DRF's full COUNT(*) grows with the account's history. `next` comes
    from fetching one row more than the page, so it works past the bound too."""

    default_limit = 20
    max_limit = 100

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        self.offset = self.get_offset(request)
        # Read at call time, so a test can lower the bound.
        bound = COUNT_BOUND
        # Unordered: any bound + 1 matching rows will do, so no index order is needed to count them.
        counted = queryset.order_by()[: bound + 1].count()
        self.count, self.count_exact = min(counted, bound), counted <= bound
        if self.count > self.limit and self.template is not None:
            self.display_page_controls = True
        if self.count_exact and self.offset >= self.count:
            self.has_next = False
            return []
        rows = list(queryset[self.offset : self.offset + self.limit + 1])
        self.has_next = len(rows) > self.limit
        return rows[: self.limit]

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_next_link(self):
        if not self.has_next:
            return None
        url = replace_query_param(self.request.build_absolute_uri(), self.limit_query_param, self.limit)
        return replace_query_param(url, self.offset_query_param, self.offset + self.limit)

    def get_paginated_response_schema(self, schema):
        base = super().get_paginated_response_schema(schema)
        properties = base["properties"]
        properties["count"] = {
            **properties["count"],
            "maximum": COUNT_BOUND,
            "description": f"How many items match, exact up to {COUNT_BOUND:,}; above that it is "
            f"{COUNT_BOUND:,} and `count_exact` is false. Follow `next` to go further.",
        }
        count_exact = {
            "type": "boolean",
            "example": True,
            "description": f"False when more than {COUNT_BOUND:,} items match and `count` is capped.",
        }
        base["properties"] = {"count": properties.pop("count"), "count_exact": count_exact, **properties}
        base["required"] = ["count", "count_exact", "next", "previous", "results"]
        return base

    def get_limit(self, request):
        limit = self._number(request, self.limit_query_param, minimum=1, maximum=None, default=self.default_limit)
        return min(limit, self.max_limit)

    def get_offset(self, request):
        return self._number(request, self.offset_query_param, minimum=0, maximum=None, default=0)

    @staticmethod
    def _number(request, name: str, *, minimum: int, maximum: int | None, default: int) -> int:
        values = request.query_params.getlist(name)
        if not values:
            return default
        bound = f"from {minimum} to {maximum}" if maximum else f"{minimum} or more"
        if len(values) > 1 or not values[0].isascii() or not values[0].isdigit():
            raise query_problem(name, f"Must be one whole number, {bound}.")
        value = int(values[0])
        if value < minimum or (maximum is not None and value > maximum):
            raise query_problem(name, f"Must be {bound}.")
        return value

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            self.limit_query_param: {"minimum": 1},
            self.offset_query_param: {"minimum": 0},
        }
        for parameter in parameters:
            parameter["schema"].update(bounds.get(parameter["name"], {}))
        return parameters
