import csv
import json
import re
from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import ApiKey, EmailNotVerified
from billing import ledger, rate_limits, usage
from dashboard.forms import ImageFilterForm, RerenderForm, WebhookEditForm, WebhookForm
from dashboard.pagination import BoundedPaginator
from lib.errors import InvalidInput
from templates_app import rendering, services
from templates_app.elements import merge_modifications, normalise_modifications
from templates_app.models import DesignTemplate, Image
from webhooks import services as webhooks
from webhooks.models import WebhookDelivery, WebhookSubscription

# --- Dashboard pages (server-rendered; docs/dashboard.md) ------------------------

DASHBOARD_PAGE_SIZE = 24
USAGE_RANGES = (7, 30, 90)
# How long after a save the gallery keeps asking for a thumbnail that is not there yet.
THUMBNAIL_WAIT = timedelta(minutes=2)
# htmx stops polling on this status (and swaps the answer in as usual).
HTMX_STOP_POLLING = 286


def _page(request, queryset, size: int = DASHBOARD_PAGE_SIZE):
    """The requested page of `queryset` and the query string (without `page`) its links keep.
    The count behind "Page 3 of N" stops at a bound (dashboard/pagination.py)."""
    query = request.GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    return BoundedPaginator(queryset, size).get_page(request.GET.get("page")), (encoded + "&" if encoded else "")


@require_safe
def home(request):
    """The landing page; signed-in users go straight to their overview."""
    if request.user.is_authenticated:
        return redirect("overview")
    return render(request, "dashboard/home.html")


@require_safe
def favicon(request):
    """/favicon.ico, which browsers ask for on pages that name no icon (Django admin, the API docs)."""
    response = redirect(static("img/favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
@login_required
def overview(request):
    user = request.user
    account = ledger.open_account(user)
    images = Image.objects.filter(owner=user)
    steps = [
        ("Create an API key", ApiKey.objects.filter(user=user).exists(), reverse("dash-keys")),
        ("Create a template", DesignTemplate.objects.filter(owner=user).exists(), reverse("dash-templates")),
        ("Render your first image", images.exists(), reverse("dash-images")),
    ]
    context = {
        "account": account,
        "used": ledger.used_this_period(account),
        "usage": usage.daily_usage(user, days=30),
        "recent": images.for_grid()[:8],
        "steps": steps,
        "show_steps": not all(done for _, done, _ in steps),
    }
    return render(request, "dashboard/overview.html", context)


@require_safe
@login_required
def template_list(request):
    """The template gallery. Thumbnails and the designer come later: see the hook in the template."""
    templates = DesignTemplate.objects.filter(owner=request.user)
    search = request.GET.get("q", "").strip()[:200]
    if search:
        templates = templates.filter(Q(name__icontains=search) | Q(public_id=search))
    page, query = _page(request, templates)
    for template in page.object_list:
        template.thumbnail_pending = _thumbnail_pending(template)
    return render(request, "dashboard/templates.html", {"page": page, "query": query, "search": search})


def _thumbnail_pending(template: DesignTemplate) -> bool:
    """No thumbnail yet, but one may still come: every save queues its render (templates_app/previews.py),
    which gives up without one when a picture cannot be fetched, so the wait has an end."""
    return not template.thumbnail and timezone.now() - template.updated_at < THUMBNAIL_WAIT


@require_safe
@login_required
def template_thumbnail_state(request, template_id: str):
    """What the gallery's placeholder polls: 204 while the thumbnail is rendering, then the
    thumbnail; the bare placeholder (and htmx's stop-polling status) once it is no longer expected."""
    template = services.get_template_for(request.user, template_id)
    template.thumbnail_pending = _thumbnail_pending(template)
    if template.thumbnail_pending:
        return HttpResponse(status=204)
    status = 200 if template.thumbnail else HTMX_STOP_POLLING
    return render(request, "dashboard/partials/template_thumbnail.html", {"template": template}, status=status)


@require_safe
@login_required
def image_list(request):
    templates = DesignTemplate.objects.filter(owner=request.user).only("public_id", "name")
    form = ImageFilterForm(request.GET or None, templates=templates)
    images = form.filter(Image.objects.filter(owner=request.user).for_grid())
    page, query = _page(request, images)
    filtered = any(request.GET.get(name) for name in form.fields)
    context = {"form": form, "page": page, "query": query, "filtered": filtered, "back": _filter_query(query)}
    return render(request, "dashboard/images.html", context)


# At most this many images in one bulk delete (a page holds DASHBOARD_PAGE_SIZE).
BULK_DELETE_LIMIT = 100


def _filter_query(raw: str) -> str:
    """The images page's filters (and page) from a query string, re-encoded: where the bulk
    delete goes back to. Anything else is dropped, so it cannot point elsewhere."""
    kept = QueryDict(mutable=True)
    for name, values in QueryDict(raw).lists():
        if name in ImageFilterForm.base_fields or name == "page":
            kept.setlist(name, values)
    return kept.urlencode()


def _images_url(raw_back: str) -> str:
    """The images page with the filters it was left with."""
    back = _filter_query(raw_back)
    return reverse("dash-images") + (f"?{back}" if back else "")


@require_POST
@login_required
def image_bulk_delete(request):
    """Delete the selected images, each through services.delete_image (an unfinished render is
    cancelled and refunded); the first POST asks for confirmation with the count."""
    back = _filter_query(request.POST.get("back", ""))
    images_url = _images_url(back)
    ids = list(dict.fromkeys(request.POST.getlist("images")))[:BULK_DELETE_LIMIT]
    images = list(Image.objects.filter(owner=request.user, public_id__in=ids).select_related("template"))
    if not images:
        messages.error(request, "Select one or more images to delete.")
        return redirect(images_url)
    if request.POST.get("confirm") != "yes":
        context = {"images": images, "back": back, "images_url": images_url}
        return render(request, "dashboard/images_delete.html", context)
    deleted = refunded = 0
    for image in images:
        try:
            image = services.get_image_for(request.user, image.public_id)
        except Http404:  # deleted meanwhile
            continue
        cancelled = services.delete_image(image=image)
        deleted += 1
        refunded += bool(cancelled and image.credits_used)
    text = f"Deleted {deleted} image{pluralize(deleted)}; their URLs no longer work."
    if refunded:
        text += f" {refunded} unfinished render{pluralize(refunded)} cancelled and refunded."
    messages.success(request, text)
    return redirect(images_url)


def _rerender_form(image: Image, data=None) -> RerenderForm:
    return RerenderForm(
        data, initial={"format": image.format}, template=image.template, image_modifications=image.modifications
    )


def _normalised(changes) -> list[dict]:
    return [change for _path, change in normalise_modifications(changes)]


MODIFICATION_PATH = re.compile(r"^modifications(?:\[(\d+)\]|\.([^.\[]+))")


def _add_render_errors(form: RerenderForm, image: Image, changes, errors: list[dict]) -> None:
    """Each error next to the field of the element it is about (the JSON box for the rest).
    The domain reports paths into the merged list edit_image renders, so merge the same way."""
    merged = merge_modifications(image.modifications, changes)
    for error in errors:
        match = MODIFICATION_PATH.match(error["field"])
        name = None
        if match and match.group(1) is not None and int(match.group(1)) < len(merged):
            name = merged[int(match.group(1))]["name"]
        elif match:
            name = match.group(2)
        form.add_error(form.field_for(name), f"{error['field']}: {error['message']}")


def _image_page(request, image: Image, form: RerenderForm, status: int = 200):
    back = _filter_query(request.GET.get("back", "") or request.POST.get("back", ""))
    context = {
        "image": image,
        "form": form,
        "back": back,
        "images_url": _images_url(back),
        "pending": image.status in (Image.Status.PENDING, Image.Status.RENDERING),
        "modifications_json": json.dumps(image.modifications, indent=2, ensure_ascii=False),
        "metadata_json": json.dumps(image.metadata, indent=2, ensure_ascii=False),
    }
    return render(request, "dashboard/image_detail.html", context, status=status)


@require_safe
@login_required
def image_detail(request, image_id: str):
    image = services.get_image_for(request.user, image_id)
    return _image_page(request, image, _rerender_form(image))


@require_safe
@login_required
def image_status(request, image_id: str):
    """The live status fragment htmx polls while a render is pending; reloads the page when it ends."""
    image = services.get_image_for(request.user, image_id)
    response = render(request, "dashboard/partials/image_status.html", {"image": image})
    if image.status not in (Image.Status.PENDING, Image.Status.RENDERING):
        response["HX-Refresh"] = "true"
    return response


@require_POST
@login_required
def image_rerender(request, image_id: str):
    """A new image from the same template with these modifications; costs like an API render."""
    image = services.get_image_for(request.user, image_id)
    form = _rerender_form(image, request.POST)
    if not form.is_valid():
        return _image_page(request, image, form, status=400)
    if image.template_id is None:
        form.add_error(None, "The template of this image was deleted: it cannot be rendered again.")
        return _image_page(request, image, form, status=400)
    try:
        # The same per-account budget as the API's keys of this mode (billing/rate_limits.py).
        rate_limits.count(request, request.user, sandbox=image.sandbox)
    except rate_limits.RateLimited as over:
        form.add_error(None, f"{over} Wait {over.headers['Retry-After']} seconds; nothing was rendered.")
        response = _image_page(request, image, form, status=429)
        response["Retry-After"] = over.headers["Retry-After"]
        return response
    changes = form.changes()
    try:
        if form.cleaned_data["modifications"] is not None:
            changes = merge_modifications(_normalised(changes), form.cleaned_data["modifications"])
        new_image, _ = services.edit_image(
            owner=request.user,
            image_id=image.public_id,
            modifications=changes,
            fmt=form.cleaned_data["format"],
            run_async=form.cleaned_data["run_async"],
        )
    except InvalidInput as exc:
        _add_render_errors(form, image, changes, exc.errors)
        return _image_page(request, image, form, status=400)
    except ledger.InsufficientCredits as exc:
        form.add_error(None, f"{exc} Buy credits or change plan on the Billing page.")
        return _image_page(request, image, form, status=403)
    except EmailNotVerified as exc:
        form.add_error(None, str(exc))
        return _image_page(request, image, form, status=403)
    except rendering.RenderError as exc:
        failed = Image.objects.filter(source_image=image).first()
        messages.error(request, f"The render failed ({exc.code}): {exc.message} It cost nothing.")
        if failed is not None:
            return redirect("dash-image", failed.public_id)
        return _image_page(request, image, form, status=400)
    messages.success(request, "Render queued." if new_image.status == Image.Status.PENDING else "Rendered again.")
    return redirect("dash-image", new_image.public_id)


@require_POST
@login_required
def image_delete(request, image_id: str):
    image = services.get_image_for(request.user, image_id)
    cancelled = services.delete_image(image=image)
    refund = " Its render was cancelled and refunded." if cancelled and image.credits_used else ""
    messages.success(request, f"Image {image_id} is deleted; its URL no longer works.{refund}")
    return redirect(_images_url(request.POST.get("back", "")))


def _usage_days(request) -> int:
    raw = request.GET.get("days", "30")
    return int(raw) if raw.isdigit() and int(raw) in USAGE_RANGES else 30


def _usage_since(days: int) -> date:
    """The first day `daily_usage` counts for `days` (UTC), so every figure covers the same span."""
    return timezone.now().date() - timedelta(days=days - 1)


@require_safe
@login_required
def usage_page(request):
    """Usage by day (the API's /usage figures, from the same function), by template and by key.

    Every figure comes from the daily rollups (billing.UsageDay). It lives here rather than in
    billing because the by-template figures need template names, which billing does not know
    about (tests/test_architecture.py, import direction).
    """
    days = _usage_days(request)
    since = _usage_since(days)
    context = {
        "days": days,
        "ranges": USAGE_RANGES,
        "usage": usage.daily_usage(request.user, days=days),
        "by_template": services.usage_by_template(request.user, since_day=since),
        "by_key": usage.usage_by_key(request.user, since_day=since),
    }
    return render(request, "dashboard/usage.html", context)


@require_safe
@login_required
def usage_csv(request):
    days = _usage_days(request)
    figures = usage.daily_usage(request.user, days=days)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="imagior-usage-{days}d.csv"'
    writer = csv.writer(response)
    columns = ["date", "requests", "images", "credits_used", "errors"]
    writer.writerow(columns)
    for row in figures["days"]:
        writer.writerow([row[column] for column in columns])
    return response


@login_required
def webhook_list(request):
    """Subscriptions, the create form (the secret is shown once, on the answer) and the delivery log."""
    form = WebhookForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = webhooks.create_subscription(
                owner=request.user,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                mode=form.cleaned_data["mode"],
                request=request,
            )
        except InvalidInput as exc:
            for error in exc.errors:
                form.add_error(error["field"] if error["field"] in form.fields else None, error["message"])
        else:
            form = WebhookForm()
    deliveries = (
        WebhookDelivery.objects.filter(owner=request.user)
        .select_related("subscription")
        .prefetch_related("attempt_log")
    )
    page, query = _page(request, deliveries, size=20)
    context = {
        "form": form,
        "created": created,
        "subscriptions": WebhookSubscription.objects.filter(owner=request.user),
        "page": page,
        "query": query,
        "callback_url_example": "https://example.com/hooks/imagior",
    }
    response = render(request, "dashboard/webhooks.html", context, status=400 if form.errors else 200)
    if created:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def webhook_edit(request, webhook_id: str):
    """Change a subscription's URL or events (webhooks.update_subscription, the create's checks)."""
    subscription = webhooks.get_subscription_for(request.user, webhook_id)
    form = WebhookEditForm(request.POST or None, initial={"url": subscription.url, "events": subscription.events})
    if request.method == "POST" and form.is_valid():
        try:
            webhooks.update_subscription(
                subscription,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                actor=request.user,
                request=request,
            )
        except InvalidInput as exc:
            for error in exc.errors:
                form.add_error(error["field"] if error["field"] in form.fields else None, error["message"])
        else:
            messages.success(request, f"Saved: {subscription.url} hears {', '.join(subscription.events)}.")
            return redirect("dash-webhooks")
    context = {"form": form, "subscription": subscription}
    return render(request, "dashboard/webhook_edit.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def webhook_delete(request, webhook_id: str):
    subscription = webhooks.get_subscription_for(request.user, webhook_id)
    cancelled = webhooks.delete_subscription(subscription, actor=request.user, request=request)
    note = f" {cancelled} pending deliveries were cancelled." if cancelled else ""
    messages.success(request, f"Deliveries to {subscription.url} are stopped.{note}")
    return redirect("dash-webhooks")


@require_POST
@login_required
def webhook_enable(request, webhook_id: str):
    subscription = webhooks.get_subscription_for(request.user, webhook_id)
    webhooks.enable_subscription(subscription)
    messages.success(request, f"{subscription.url} receives events again.")
    return redirect("dash-webhooks")


@require_POST
@login_required
def webhook_test(request, webhook_id: str):
    subscription = webhooks.get_subscription_for(request.user, webhook_id)
    if webhooks.send_test_event(subscription) is None:
        messages.error(request, f"{subscription.url} is disabled: re-enable it first.")
    else:
        messages.success(request, f"A test.event is on its way to {subscription.url}; it shows in the log below.")
    return redirect("dash-webhooks")


@require_POST
@login_required
def delivery_redeliver(request, message_id: str):
    delivery = webhooks.get_delivery_for(request.user, message_id)
    if webhooks.redeliver(delivery):
        messages.success(request, f"Delivery {message_id} is sent again.")
    else:
        messages.error(request, f"Delivery {message_id} cannot be sent: its subscription was deleted or is disabled.")
    return redirect("dash-webhooks")
