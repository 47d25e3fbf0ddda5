"""The dashboard's lists: a Paginator whose count stops at a bound (docs/dashboard.md, "Choices worth knowing").

Django's own Paginator runs a full COUNT(*) for "Page 3 of N", which grows with the
account's history. This one counts at most COUNT_BOUND + 1 rows; above the bound the
page shows "Page 3 of 417+" and "Older →" comes from fetching one row more than the page.
"""

import math

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.utils.functional import cached_property

COUNT_BOUND = 10_000


class BoundedPaginator(Paginator):
    @cached_property
    def _bounded_count(self) -> tuple[int, bool]:
        # Unordered: any COUNT_BOUND + 1 matching rows will do.
        counted = self.object_list.order_by()[: COUNT_BOUND + 1].count()
        return min(counted, COUNT_BOUND), counted <= COUNT_BOUND

    @cached_property
    def count(self) -> int:
        """How many items, up to COUNT_BOUND."""
        return self._bounded_count[0]

    @property
    def count_exact(self) -> bool:
        return self._bounded_count[1]

    @cached_property
    def num_pages(self) -> int:
        """The number of pages when the count is exact; else how many there are at least."""
        if self.count_exact:
            return super().num_pages
        return math.ceil((COUNT_BOUND + 1) / self.per_page)

    def validate_number(self, number):
        if self.count_exact:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not an integer") from None
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return number

    def get_page(self, number):
        """Like Django's: the first page for a bad number, the last known page past the end."""
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)

    def page(self, number):
        number = self.validate_number(number)
        if self.count_exact:
            return super().page(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows and number > 1:
            raise EmptyPage("That page contains no results")
        return BoundedPage(rows[: self.per_page], number, self, has_more=len(rows) > self.per_page)


class BoundedPage(Page):
    """A page past a capped count: whether another follows is known from one extra row."""

    def __init__(self, object_list, number, paginator, *, has_more: bool):
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self) -> bool:
        return self.has_more

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1

    @property
    def pages_label(self) -> str:
        """'417+' while more pages may follow; the exact number once this is the last page."""
        if not self.has_more:
            return f"{self.number:,}"
        return f"{max(self.paginator.num_pages, self.number + 1):,}+"
