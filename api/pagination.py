from rest_framework import pagination

from api.errors import ApiProblem


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
    400, so a typo is not mistaken for "the first page"."""

    default_limit = 20
    max_limit = 100

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
