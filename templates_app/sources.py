"""Remote pictures of a template's image elements, fetched through the one SSRF-safe fetcher (lib/fetch.py)."""

import logging

from lib.fetch import FetchError, fetch_images
from templates_app.rendering.images import is_remote, remote_image_error

logger = logging.getLogger(__name__)


def prefetch_sources(elements: list[dict]) -> dict[str, bytes]:
    """Fetch the http(s) pictures of visible image elements, for `document["images"]`.

    Raises rendering.ImageFetchError naming the element, with one message whatever the cause.
    """
    owners: dict[str, str | None] = {}
    for el in elements:
        if el.get("type") == "image" and not el.get("hidden") and is_remote(el.get("src")):
            owners.setdefault(el["src"], el.get("name"))
    try:
        return fetch_images(owners)
    except FetchError as exc:
        logger.info("Image fetch failed for %s: %s", exc.url, exc.reason)
        raise remote_image_error(owners.get(exc.url)) from exc
