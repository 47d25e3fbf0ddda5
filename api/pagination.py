from rest_framework import pagination


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """`?limit=` (default 20, at most 100) and `?offset=`, as SPEC §3 sets."""

    default_limit = 20
    max_limit = 100
