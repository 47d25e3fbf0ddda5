"""The profile, account deletion, API-key and secrets pages; sign-in itself is django-allauth's (accounts/urls.py)."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts import deletion
from accounts.models import ApiKey
from billing import ledger
from dashboard.forms import ApiKeyForm, RollKeyForm, UsageAlertsForm
from templates_app import export

# The usage-alert banner dismissed, as "<period start>:<threshold>" (a higher threshold shows again).
USAGE_ALERT_DISMISSED_SESSION_KEY = "usage_alert_dismissed"
# Where a freshly created key waits for the one page view that shows it.
NEW_KEY_SESSION_KEY = "new_api_key"
SECRETS = {
    "callback": ("Callback secret", "callback_secret", "roll_callback_secret"),
    "url-signing": ("URL-signing secret", "url_signing_secret", "roll_url_signing_secret"),
}


def _get_key_for(user, public_id: str) -> ApiKey:
    """The user's key with this id; 404 for anything else, another account's included."""
    return get_object_or_404(ApiKey, user=user, public_id=public_id)


@login_required
def profile(request):
    """The account's sign-in settings (each links to allauth's page for it) and its usage alerts."""
    account = ledger.open_account(request.user)
    if request.method == "POST":
        form = UsageAlertsForm(request.POST)
        if form.is_valid():
            account.choose_usage_alerts(form.cleaned_data["thresholds"])
            messages.success(request, "Usage alerts saved.")
            return redirect("profile")
    else:
        form = UsageAlertsForm(initial={"thresholds": account.usage_alerts})
    context = {"email_verified": request.user.has_verified_email(), "alerts_form": form}
    return render(request, "dashboard/profile.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def dismiss_usage_alert(request):
    """Hide the usage-alert banner until a higher threshold is reached or a new period starts."""
    request.session[USAGE_ALERT_DISMISSED_SESSION_KEY] = request.POST.get("alert", "")[:64]
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = "overview"
    return redirect(back)


@never_cache
@require_safe
@login_required
def export_account(request):
    """Download my data: a zip of one's own templates (templates.json) and images' files."""
    try:
        archive = export.build_account_export(request.user)
    except export.ExportTooLarge:
        messages.error(request, "Your images are too many to export at once; ask support for an export.")
        return redirect("profile")
    except export.ExportStorageUnavailable:
        messages.error(request, "The file store is not answering; try the download again shortly.")
        return redirect("profile")
    filename = f"imagior-export-{timezone.now():%Y-%m-%d}.zip"
    return FileResponse(archive, as_attachment=True, filename=filename, content_type="application/zip")


@login_required
def delete_account(request):
    """Delete one's own account after typing its e-mail address (and the password, if it has one)."""
    user = request.user
    errors = []
    if request.method == "POST":
        if request.POST.get("email", "").strip().lower() != user.email.lower():
            errors.append("Type your e-mail address exactly to confirm.")
        if user.has_usable_password() and not user.check_password(request.POST.get("password", "")):
            errors.append("The password is not right.")
        if not errors:
            email = user.email
            logout(request)
            deletion.delete_account(user)
            messages.success(request, f"The account {email} and its images are deleted.")
            return redirect("/")
    context = {"errors": errors, "needs_password": user.has_usable_password()}
    return render(request, "dashboard/delete_account.html", context, status=400 if errors else 200)


@never_cache
@login_required
def keys(request):
    """The key list and the create form. A new key's full text is shown on the next
    page view only: it travels in the session for one redirect and is dropped there."""
    # Through the reverse relation: accounts sits below templates_app and does not import it.
    templates = request.user.templates.only("public_id", "name")
    form = ApiKeyForm(request.POST or None, templates=list(templates))
    if request.method == "POST" and form.is_valid():
        days = form.cleaned_data["expires_in_days"]
        try:
            key, raw = ApiKey.issue(
                request.user,
                name=form.cleaned_data["name"],
                mode=form.cleaned_data["mode"],
                allowed_ips=form.cleaned_data["allowed_ips"],
                allowed_domains=form.cleaned_data["allowed_domains"],
                scopes=form.cleaned_data["scopes"],
                allowed_templates=form.cleaned_data["allowed_templates"],
                expires_at=None if days is None else timezone.now() + timedelta(days=days),
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            request.session[NEW_KEY_SESSION_KEY] = {"id": key.public_id, "raw": raw}
            return redirect("dash-keys")
    new_key = request.session.pop(NEW_KEY_SESSION_KEY, None) if request.method == "GET" else None
    context = {
        "form": form,
        "keys": ApiKey.objects.filter(user=request.user),
        "new_key": new_key,
        "roll_form": RollKeyForm(),
        "secrets": [(slug, label) for slug, (label, _, _) in SECRETS.items()],
    }
    return render(request, "dashboard/keys.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def revoke_key(request, key_id: str):
    key = _get_key_for(request.user, key_id)
    key.revoke(actor=request.user, request=request)
    messages.success(request, f"The key “{key.name}” ({key.prefix}…) is revoked: requests with it now get 401.")
    return redirect("dash-keys")


@require_POST
@login_required
def roll_key(request, key_id: str):
    """A new key with the same settings; the old one lives on for the chosen grace period."""
    key = _get_key_for(request.user, key_id)
    form = RollKeyForm(request.POST)
    if key.is_revoked or key.is_expired or not form.is_valid():
        messages.error(request, "Only a working key can be rolled, with one of the offered grace periods.")
        return redirect("dash-keys")
    try:
        new, raw = key.roll(grace=form.cleaned_data["grace"], actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages) + " Or roll it with no grace period.")
        return redirect("dash-keys")
    request.session[NEW_KEY_SESSION_KEY] = {"id": new.public_id, "raw": raw}
    if key.is_revoked:
        messages.success(request, f"“{key.name}” is rolled: the old key ({key.prefix}…) stopped working at once.")
    else:
        ends = timezone.localtime(key.expires_at)
        messages.success(
            request, f"“{key.name}” is rolled: the old key ({key.prefix}…) works until {ends:%-d %b %Y %H:%M}."
        )
    return redirect("dash-keys")


@never_cache
@require_safe
@login_required
def reveal_secret(request, which: str):
    """One secret, fetched only when asked for (htmx swaps it into the keys page)."""
    if which not in SECRETS:
        raise Http404
    label, field, _ = SECRETS[which]
    context = {"slug": which, "label": label, "value": getattr(request.user, field)}
    return render(request, "dashboard/partials/secret.html", context)


@require_POST
@login_required
def roll_secret(request, which: str):
    if which not in SECRETS:
        raise Http404
    label, _, roll = SECRETS[which]
    getattr(request.user, roll)()
    messages.success(request, f"The {label.lower()} is rolled: the old one no longer works.")
    return redirect("dash-keys")
