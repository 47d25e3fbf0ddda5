"""Imagior: render images from design templates over HTTP.

Example::

    from imagior import Imagior

    client = Imagior()  # IMAGIOR_API_KEY, IMAGIOR_BASE_URL
    image = client.images.create(template="tpl_…", modifications={"title": "Hello"})
    print(image.url)
"""

from ._async_client import AsyncImagior, AsyncPager
from ._client import Imagior, Pager
from ._flows import Page
from ._version import __version__
from .errors import (
    APIConnectionError,
    AuthenticationError,
    ConflictError,
    ImagiorError,
    InsufficientCreditsError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
    WaitTimeoutError,
    WebhookVerificationError,
)
from .signatures import signed_url, verify_webhook
from .types import Account, ApiObject, Batch, Font, Image, Template, Usage, Webhook, WebhookEvent

__all__ = [
    "APIConnectionError",
    "Account",
    "ApiObject",
    "AsyncImagior",
    "AsyncPager",
    "AuthenticationError",
    "Batch",
    "ConflictError",
    "Font",
    "Image",
    "Imagior",
    "ImagiorError",
    "InsufficientCreditsError",
    "NotFoundError",
    "Page",
    "Pager",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "Template",
    "Usage",
    "ValidationError",
    "WaitTimeoutError",
    "Webhook",
    "WebhookEvent",
    "WebhookVerificationError",
    "__version__",
    "signed_url",
    "verify_webhook",
]
