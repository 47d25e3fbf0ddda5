"""Signed image URLs (docs/api.md): `/i/{template}.{ext}?{modifications}&sig={hex}`.

For `<img>` and `<meta property="og:image">` tags: no key in the page. The
signature is the hex HMAC-SHA256, keyed with the template owner's URL-signing
secret, of `/i/{template}.{ext}?` followed by every other parameter sorted by
name and URL-encoded (`urllib.parse.urlencode(sorted(params), quote_via=quote)`;
a `+` for spaces is accepted too). The first hit renders and charges the owner;
identical hits are served from that image, free, with long cache headers.
"""

import hashlib
import hmac
import time
from urllib.parse import quote, quote_plus, urlencode

from django.db import IntegrityError
from django.http import Http404

from templates_app import rendering, services
from templates_app.models import DesignTemplate, Image

FORMATS = ("png", "jpeg", "webp")
WAIT_FOR_FIRST = 30  # seconds an identical concurrent hit waits for the first render


class InvalidSignature(Exception):
    pass


def canonical(template_id: str, ext: str, params: list[tuple[str, str]], *, plus: bool = False) -> str:
    """The string that is signed."""
    query = urlencode(sorted(params), quote_via=quote_plus if plus else quote)
    return f"/i/{template_id}.{ext}?{query}"


def sign(secret: str, template_id: str, ext: str, params: list[tuple[str, str]]) -> str:
    """The `sig` for these parameters (what a client computes; used by the docs and tests)."""
    return hmac.new(secret.encode(), canonical(template_id, ext, params).encode(), hashlib.sha256).hexdigest()


def signed_url(secret: str, template_id: str, ext: str, params: list[tuple[str, str]]) -> str:
    """The path with its query and signature."""
    return canonical(template_id, ext, params) + "&sig=" + sign(secret, template_id, ext, params)


def verified_template(template_id: str, ext: str, params: list[tuple[str, str]], sig: str) -> DesignTemplate:
    """The template if `sig` signs this request with its owner's secret; else InvalidSignature.

    An unknown template and a wrong signature are the same answer (no oracle). A
    correctly signed URL of a deactivated owner is Http404: it renders and charges nothing.
    """
    template = DesignTemplate.objects.select_related("owner").filter(public_id=template_id).first()
    if ext not in FORMATS or template is None or not sig:
        raise InvalidSignature
    secret = template.owner.url_signing_secret.encode()
    for plus in (False, True):
        expected = hmac.new(secret, canonical(template_id, ext, params, plus=plus).encode(), hashlib.sha256)
        if hmac.compare_digest(expected.hexdigest(), sig.lower()):
            if not template.owner.is_active:
                raise Http404("The template's owner is deactivated.")
            return template
    raise InvalidSignature


def image_for(template: DesignTemplate, ext: str, params: list[tuple[str, str]]) -> Image:
    """The finished image for these parameters: rendered (and charged) on the first hit only."""
    key = hashlib.sha256(
        canonical(template.public_id, ext, params).encode() + f"#v{template.version}".encode()
    ).hexdigest()
    existing = Image.objects.filter(signed_key=key, status=Image.Status.COMPLETED).first()
    if existing:
        return existing
    Image.objects.filter(signed_key=key, status=Image.Status.FAILED).update(signed_key=None)  # let it retry
    try:
        image, _ = services.render_image(
            owner=template.owner,
            template_id=template.public_id,
            modifications=dict(params),
            fmt=ext,
            metadata={"source": "signed_url"},
            signed_key=key,
            charged_by="signed-url",
        )
        return image
    except IntegrityError:  # an identical request is rendering it right now
        deadline = time.monotonic() + WAIT_FOR_FIRST
        while time.monotonic() < deadline:
            image = Image.objects.filter(signed_key=key).first()
            if image is None or image.status == Image.Status.FAILED:
                break
            if image.status == Image.Status.COMPLETED:
                return image
            time.sleep(0.1)
        raise rendering.RenderError("An identical image is still being rendered; try again shortly.") from None
