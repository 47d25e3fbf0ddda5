"""Templates and renders with the database around them: look up, charge,
render, store, refund on failure. The API and the dashboard both call these."""

import contextlib
import logging
import secrets
import time
from datetime import UTC, date, timedelta

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import ApiKey
from billing import ledger, usage
from billing.models import UsageDay
from lib.errors import InvalidInput
from templates_app import render_runner, rendering, representations, sources
from templates_app.documents import localized, prepare_document
from templates_app.elements import clean_template, merge_modifications
from templates_app.models import DesignTemplate, Image, UserFont
from webhooks import services as webhooks

logger = logging.getLogger(__name__)

RENDER_COST = 1


def get_template_for(user, public_id: str, *, api_key=None) -> DesignTemplate:
    """The user's template with this id; Http404 for anything else, another account's included.

    With a restricted `api_key`, a template outside its allow-list is TemplateNotAllowed
    whether it exists or not (the answer says nothing about other templates)."""
    if api_key is not None:
        api_key.check_template(public_id)
    return get_object_or_404(DesignTemplate, owner=user, public_id=public_id)


def get_image_for(owner, public_id: str, *, api_key=None) -> Image:
    """The owner's image with this id, the one getter of the API and the dashboard; Http404
    for anything else, another account's included. With `api_key`, only what that key may
    see: its mode (live or sandbox) and its allowed templates."""
    images = Image.objects.for_key(api_key) if api_key is not None else Image.objects.filter(owner=owner)
    return get_object_or_404(images.select_related("template", "source_image"), public_id=public_id)


def create_template(*, owner, data: dict) -> DesignTemplate:
    """Validate `data` (docs/designer.md) and save a new template (its thumbnail follows in the background)."""
    template = DesignTemplate.objects.create(owner=owner, **clean_template(data))
    _refresh_thumbnail_later(template)
    return template


class VersionConflict(Exception):
    """The template changed since the version the caller edited (API: 412; designer: 409)."""

    def __init__(self, current: int):
        self.current = current
        super().__init__(f"The template is now version {current}.")


def update_template(
    *, template: DesignTemplate, data: dict, partial: bool, expected_version: int | None = None
) -> DesignTemplate:
    """Replace (PUT) or update (PATCH) a template; every change bumps `version`.

    With `expected_version`, the update happens only if the template is still at
    that version, checked on the locked row: two saves of the same version cannot
    both win (VersionConflict for the second)."""
    changes = clean_template(data, partial=partial)
    with transaction.atomic():
        current = DesignTemplate.objects.select_for_update().values_list("version", flat=True).get(pk=template.pk)
        if expected_version is not None and expected_version != current:
            raise VersionConflict(current)
        for field, value in changes.items():
            setattr(template, field, value)
        template.version = F("version") + 1
        # Only these fields: the thumbnail task may be writing the others concurrently.
        template.save(update_fields=[*changes, "version", "updated_at"])
    template.refresh_from_db()
    _refresh_thumbnail_later(template)
    return template


def _refresh_thumbnail_later(template: DesignTemplate) -> None:
    """Queue a thumbnail render (templates_app/previews.py) once the current transaction commits."""
    from templates_app.tasks import refresh_thumbnail  # tasks import this module

    template_id = template.pk
    transaction.on_commit(lambda: refresh_thumbnail.enqueue(template_id=template_id))


def delete_template(*, template: DesignTemplate) -> None:
    if template.thumbnail:
        template.thumbnail.delete(save=False)
    template.delete()


def render_image(
    *,
    owner,
    template_id: str,
    api_key=None,
    sandbox: bool = False,
    modifications=None,
    fmt: str = "png",
    scale: float = 1.0,
    quality: int = 90,
    metadata: dict | None = None,
    run_async: bool = False,
    callback_url: str | None = None,
    source_image: Image | None = None,
    signed_key: str | None = None,
    charged_by: str = "dashboard",
) -> tuple[Image, int]:
    """Render a template, charging live renders one credit; returns the image and the balance.

    Everything that can be checked is checked before the charge (InvalidInput,
    RenderError subclasses, ledger.InsufficientCredits). A render that fails after
    the charge is refunded; synchronously the error is raised with the image
    marked failed. With `run_async` the image is returned pending and the worker
    renders it (remote pictures are then fetched by the worker).
    """
    if api_key is not None:
        sandbox = api_key.is_test
        api_key.check_template(template_id)  # TemplateNotAllowed for a restricted key
    if not sandbox:
        owner.require_verified_email()  # EmailNotVerified: a live render waits for it (docs/accounts.md)
    template = get_template_for(owner, template_id)
    document, normalised, notes = prepare_document(user=owner, template=template, modifications=modifications)
    rendering.check_output_size(template.width, template.height, scale)
    if run_async:
        rendering.check_sources([el for el in document["elements"] if not _is_remote_image(el)])
    else:
        # Remote pictures are fetched (SSRF-safe, cached) and checked before any charge.
        document["images"] = sources.prefetch_sources(document["elements"])
        rendering.check_sources(document["elements"], document["images"])

    cost = 0 if sandbox else RENDER_COST
    with transaction.atomic():
        image = Image.objects.create(
            owner=owner,
            template=template,
            template_public_id=template.public_id,
            template_version=template.version,
            api_key=api_key,
            status=Image.Status.PENDING if run_async else Image.Status.RENDERING,
            claimed_at=None if run_async else timezone.now(),
            format=fmt,
            scale=scale,
            quality=quality,
            width=max(1, round(template.width * scale)),
            height=max(1, round(template.height * scale)),
            sandbox=sandbox,
            credits_used=cost,
            modifications=normalised,
            metadata=metadata or {},
            callback_url=callback_url,
            source_image=source_image,
            warnings=notes,
            render_document=document if run_async else None,
            signed_key=signed_key,
        )
        key_id = api_key.public_id if api_key else ""
        if cost:
            created_by = api_key.public_id if api_key else charged_by
            balance = ledger.charge_credits(
                owner,
                cost=cost,
                reference=image.public_id,
                created_by=created_by,
                usage_key=key_id,
                usage_template=template.public_id,
            )
        else:
            balance = ledger.open_account(owner).balance
        # Every image created (renders, API edits, dashboard re-renders all come here) counts once.
        usage.add_usage(owner, key=key_id, template=template.public_id, images=1, sandbox_images=int(sandbox))
        if run_async:
            from templates_app.tasks import render_pending_image  # tasks import this module

            transaction.on_commit(lambda: render_pending_image.enqueue(image_id=image.pk))
            return image, balance
    return render_claimed_image(image, document), balance


def _is_remote_image(element: dict) -> bool:
    return element["type"] == "image" and element.get("src", "").lower().startswith(("http://", "https://"))


# --- The image lifecycle ------------------------------------------------------------
#
# Every change of an image's status is one conditional UPDATE from the status it
# expects (pending → rendering, rendering → completed or failed, pending or
# rendering → cancelled); only the caller whose UPDATE changed a row acts on it
# (stores the file, refunds, sends the webhook). So the stuck sweep, a late worker
# and a delete can interleave in any order and money still moves once
# (docs/rendering.md, "Image states").

_UNFINISHED = (Image.Status.PENDING, Image.Status.RENDERING)


def claim_pending_image(image_id: int) -> Image | None:
    """pending → rendering for the worker that wins the claim; None when another worker,
    the sweep or a delete got there first."""
    claimed = Image.objects.filter(pk=image_id, status=Image.Status.PENDING).update(
        status=Image.Status.RENDERING, claimed_at=timezone.now()
    )
    if not claimed:
        return None
    return Image.objects.select_related("owner", "source_image").filter(pk=image_id).first()


def render_claimed_image(image: Image, document: dict | None = None) -> Image:
    """Render an image this caller claimed (status rendering) and record the outcome if the claim still holds.

    Raises RenderError when the render failed (the image is then failed and refunded),
    or when the sweep failed the image meanwhile; Http404 when it was deleted meanwhile.
    A file written after losing the claim is deleted again.
    """
    document = image.render_document if document is None else document
    started = time.perf_counter()
    try:
        document = localized(document)  # fonts copied to this machine when it is not the one that accepted
        if "images" not in document:
            document = {**document, "images": sources.prefetch_sources(document["elements"])}
        result = render_runner.run_render(
            document, fmt=image.format, scale=image.scale, quality=image.quality, watermark=image.sandbox
        )
    except rendering.RenderError as exc:
        if not _fail(image, exc):
            _raise_lost(image)
        raise
    except Exception as exc:  # an unexpected bug must still not keep the credit
        error = rendering.RenderError("The render failed.")
        if not _fail(image, error):
            _raise_lost(image)
        raise error from exc
    render_ms = round((time.perf_counter() - started) * 1000)
    storage = image.file.storage
    try:
        name = storage.save(image.storage_name, ContentFile(result.content))
    except Exception as exc:  # the file store (S3) is down or refuses: failed and refunded, not stuck
        logger.warning("Storing %s failed: %s", image.storage_name, exc)
        error = rendering.RenderError("The rendered file could not be stored; nothing was charged. Try again shortly.")
        if not _fail(image, error):
            _raise_lost(image)
        raise error from exc
    _complete(image, result, name, render_ms=render_ms)
    return image


def _complete(image: Image, result: "rendering.RenderResult", name: str, *, render_ms: int) -> None:
    """rendering → completed with the stored file; the loser of that update deletes the file it wrote."""
    storage = image.file.storage
    now = timezone.now()
    changes = {
        "file": name,
        "status": Image.Status.COMPLETED,
        "width": result.width,
        "height": result.height,
        "file_size": len(result.content),
        "warnings": image.warnings + result.warnings,
        "render_ms": render_ms,
        "completed_at": now,
        "render_document": None,
    }
    with transaction.atomic():
        won = Image.objects.filter(pk=image.pk, status=Image.Status.RENDERING).update(**changes)
        if won:
            for field, value in changes.items():
                setattr(image, field, value)
            webhooks.emit(
                image.owner,
                "image.completed",
                representations.image_data(image),
                sandbox=image.sandbox,
                callback_url=image.callback_url,
            )
    if not won:
        # Swept (failed and refunded) or deleted while we rendered: the file must not outlive that.
        storage.delete(name)
        _raise_lost(image)


def _raise_lost(image: Image) -> None:
    """Why this render lost its claim, as the exception its caller answers with."""
    current = Image.objects.filter(pk=image.pk).values_list("status", "error").first()
    if current is None or current[0] == Image.Status.CANCELLED:
        raise Http404("The image was deleted while it rendered.")
    status, error = current
    image.status, image.error = status, error
    message = (error or {}).get("message") or "The render did not finish."
    raise rendering.RenderError(message)


def _fail(image: Image, exc: "rendering.RenderError", *, expected: str = Image.Status.RENDERING) -> bool:
    """expected → failed; the winner gives back the credit and tells the subscribers. Returns whether it won."""
    changes = {
        "status": Image.Status.FAILED,
        "error": {"code": exc.code, "message": exc.message},
        "credits_used": 0,
        "completed_at": timezone.now(),
        "render_document": None,
    }
    with transaction.atomic():
        if not Image.objects.filter(pk=image.pk, status=expected).update(**changes):
            return False
        for field, value in changes.items():
            setattr(image, field, value)
        ledger.refund_credits(image.owner, reference=image.public_id, usage_template=image.template_public_id)
        # Counted on the day the image was created, like `images`, so a day's failed ≤ its images.
        usage.add_usage(
            image.owner_id,
            key=_key_id(image),
            template=image.template_public_id,
            day=image.created_at.astimezone(UTC).date(),
            failed=1,
        )
        webhooks.emit(
            image.owner,
            "image.failed",
            representations.image_data(image),
            sandbox=image.sandbox,
            callback_url=image.callback_url,
        )
    return True


def _key_id(image: Image) -> str:
    """The public id of the key that created the image ("" for the dashboard or a deleted key)."""
    if image.api_key_id is None:
        return ""
    return ApiKey.objects.filter(pk=image.api_key_id).values_list("public_id", flat=True).first() or ""


def render_accepted_image(image_id: int) -> str:
    """The worker's half of an asynchronous render; returns the image's final status ("deleted" when gone)."""
    image = claim_pending_image(image_id)
    if image is not None:
        # Failures are recorded, refunded and reported by render_claimed_image or by whoever won.
        with contextlib.suppress(rendering.RenderError, Http404):
            render_claimed_image(image)
    return Image.objects.filter(pk=image_id).values_list("status", flat=True).first() or "deleted"


# A render still rendering this long after its claim lost its worker (a render's
# own budget is seconds: RENDER_TIMEOUT_SECONDS plus the fetches).
STUCK_AFTER = timedelta(minutes=15)
# A pending image no worker claimed in this long lost its task (a long queue is
# not a dead worker, hence more than STUCK_AFTER).
UNCLAIMED_AFTER = timedelta(hours=1)


def fail_stuck_renders(*, now=None) -> int:
    """Fail and refund renders that never finished (their worker or task was lost); returns how many."""
    now = now or timezone.now()
    stuck = Image.objects.filter(
        Q(status=Image.Status.RENDERING, claimed_at__lt=now - STUCK_AFTER)
        | Q(status=Image.Status.PENDING, created_at__lt=now - UNCLAIMED_AFTER)
    )
    error = rendering.RenderError("The render did not finish; its credit was refunded.")
    return sum(_fail(image, error, expected=image.status) for image in stuck.select_related("owner", "source_image"))


def edit_image(
    *,
    owner,
    image_id: str,
    api_key=None,
    modifications=None,
    fmt: str | None = None,
    scale: float | None = None,
    quality: int | None = None,
    run_async: bool = False,
    callback_url: str | None = None,
) -> tuple[Image, int]:
    """A new image from the original's template with `modifications` merged over the
    original's, in the original's mode, format, scale and quality unless given; costs like
    a render. The API's edit (with its key) and the dashboard's re-render (without) both."""
    original = get_image_for(owner, image_id, api_key=api_key)
    if original.template_id is None:
        raise Http404("The original image's template was deleted.")
    return render_image(
        owner=owner,
        api_key=api_key,
        sandbox=original.sandbox,
        template_id=original.template_public_id,
        modifications=merge_modifications(original.modifications, modifications),
        fmt=fmt or original.format,
        scale=scale or original.scale,
        quality=quality or original.quality,
        metadata=original.metadata,
        run_async=run_async,
        callback_url=callback_url,
        source_image=original,
    )


def delete_image(*, image: Image) -> bool:
    """Delete the record and its file; the public URL stops working at once. Returns whether
    an unfinished render was cancelled.

    A pending or rendering image is cancelled first (one conditional update) and its
    credit refunded once; a worker still rendering it then loses its own update and
    deletes the file it writes. A finished render keeps its charge.
    """
    with transaction.atomic():
        cancelled = Image.objects.filter(pk=image.pk, status__in=_UNFINISHED).update(
            status=Image.Status.CANCELLED, credits_used=0, render_document=None
        )
        if cancelled:
            ledger.refund_credits(
                image.owner,
                reference=image.public_id,
                reason="Render cancelled: image deleted",
                usage_template=image.template_public_id,
            )
        stored = Image.objects.filter(pk=image.pk).values_list("file", flat=True).first()
        image.delete()
    storage = image.file.storage
    # The fixed name too: a worker may have written it without recording it yet.
    for name in {stored, image.file.name, image.storage_name} - {None, ""}:
        try:
            storage.delete(name)
        except Exception as exc:  # the record is gone already: log what the store kept (docs/deploy.md)
            logger.error("Left behind after deleting image %s: %s (%s)", image.public_id, name, exc)
    return bool(cancelled)


# --- Fonts ----------------------------------------------------------------------

MAX_FONTS_PER_ACCOUNT = 100


def upload_font(*, owner, data: bytes, family: str = "", weight: int | None = None, italic: bool | None = None):
    """Validate a font file (TTF/OTF/WOFF/WOFF2) and store it as plain sfnt for this account.

    The family, weight and style come from the font itself unless given. Uploading
    the same family, weight and style again replaces the earlier file.
    """
    try:
        # In a render worker, under its time and memory limits: fontTools on a hostile
        # file must not stall or exhaust the web process.
        info = render_runner.inspect_font(data)
    except rendering.RenderError as exc:
        if exc.code != "invalid_font":
            raise  # the server is busy: not the file's fault
        raise InvalidInput([{"field": "file", "code": "invalid_font", "message": exc.message}]) from None
    family = " ".join((family or info["family"]).split())
    weight = info["weight"] if weight is None else weight
    italic = info["italic"] if italic is None else italic
    errors = []
    if not family or len(family) > 64:
        errors.append({"field": "family", "code": "invalid", "message": "Must be 1–64 characters."})
    if not 100 <= weight <= 900:
        errors.append({"field": "weight", "code": "invalid", "message": "Must be between 100 and 900."})
    if errors:
        raise InvalidInput(errors)

    sfnt = info["ttf"]
    extension = "otf" if sfnt[:4] == b"OTTO" else "ttf"
    with transaction.atomic():
        font = UserFont.objects.filter(owner=owner, family__iexact=family, weight=weight, italic=italic).first()
        if font is None:
            if UserFont.objects.filter(owner=owner).count() >= MAX_FONTS_PER_ACCOUNT:
                message = f"An account may hold at most {MAX_FONTS_PER_ACCOUNT} fonts."
                raise InvalidInput([{"field": "file", "code": "too_many_fonts", "message": message}])
            font = UserFont(owner=owner, family=family, weight=weight, italic=italic)
        elif font.file:
            font.file.delete(save=False)
        font.original_format = info["format"]
        font.file_size = len(sfnt)
        # A new name for every file: render workers keep local copies of remote fonts by name.
        font.file.save(f"{font.public_id}-{secrets.token_hex(4)}.{extension}", ContentFile(sfnt), save=False)
        font.save()
    return font


def fonts_by_family(owner) -> list[dict]:
    """The account's uploaded fonts grouped by family, as the API's font list and the designer
    show them: {"family", "weights", "italic", "fonts": [UserFont, …]}."""
    families: dict[str, dict] = {}
    for font in UserFont.objects.filter(owner=owner).order_by("family", "weight", "italic"):
        family = families.setdefault(
            font.family.casefold(), {"family": font.family, "weights": [], "italic": False, "fonts": []}
        )
        family["weights"] = sorted({*family["weights"], font.weight})
        family["italic"] = family["italic"] or font.italic
        family["fonts"].append(font)
    return list(families.values())


def delete_font(*, font: UserFont) -> None:
    font.file.delete(save=False)
    font.delete()


def get_font_for(user, public_id: str) -> UserFont:
    return get_object_or_404(UserFont, owner=user, public_id=public_id)


# --- Usage ----------------------------------------------------------------------


def usage_by_template(user, *, since_day: date) -> list[dict]:
    """Images, sandbox images, failures and credits per template since `since_day` (UTC), busiest
    first, from the daily rollups; a deleted template keeps its id."""
    rows = [
        row
        for row in UsageDay.objects.filter(user=user, day__gte=since_day)
        .exclude(template="")
        .values("template")
        .annotate(
            images=Sum("images"),
            sandbox_images=Sum("sandbox_images"),
            failed=Sum("failed"),
            credits_used=Sum("credits_used"),
        )
        .order_by("-images", "template")
        if row["images"] or row["failed"] or row["credits_used"]
    ]
    names = dict(
        DesignTemplate.objects.filter(owner=user, public_id__in=[row["template"] for row in rows]).values_list(
            "public_id", "name"
        )
    )
    return [
        {
            "template": row["template"],
            "name": names.get(row["template"]) or "(deleted template)",
            "images": row["images"],
            "sandbox_images": row["sandbox_images"],
            "failed": row["failed"],
            "credits_used": row["credits_used"],
        }
        for row in rows
    ]
