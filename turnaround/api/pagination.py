"""Page-number pagination with a maximum page size (its own module: DRF's settings import it
while the viewsets are being defined)."""

from rest_framework.pagination import PageNumberPagination

MAX_PAGE_SIZE = 200


class Pagination(PageNumberPagination):
    """?page=N&page_size=M: 50 rows a page unless asked, at most MAX_PAGE_SIZE."""

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
