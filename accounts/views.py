"""Sign-up, login, profile and the API-key pages."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django_ratelimit.decorators import ratelimit

from accounts import signup
from accounts.forms import ApiKeyForm, EmailChangeForm, LoginForm, SignUpForm
from accounts.models import ApiKey

# Where a freshly created key waits for the one page view that shows it.
NEW_KEY_SESSION_KEY = "new_api_key"
SECRETS = {
    "callback": ("Callback secret", "callback_secret", "roll_callback_secret"),
    "url-signing": ("URL-signing secret", "url_signing_secret", "roll_url_signing_secret"),
}


def _get_key_for(user, public_id: str) -> ApiKey:
    """The user's key with this id; 404 for anything else, another account's included."""
    return get_object_or_404(ApiKey, user=user, public_id=public_id)


def signup_view(request):
    if request.user.is_authenticated:
        return redirect("overview")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = signup.sign_up(email=form.cleaned_data["email"], password=form.cleaned_data["password"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to Imagior! Your account is ready.")
        return redirect("overview")
    return render(request, "accounts/signup.html", {"form": form})


def _login_rate(group, request) -> str:
    return settings.LOGIN_RATE_LIMIT


_login = auth_views.LoginView.as_view(
    template_name="accounts/login.html", authentication_form=LoginForm, redirect_authenticated_user=True
)


@ratelimit(key="ip", rate=_login_rate, method="POST", block=False)
def login_view(request):
    """Django's login, limited per client IP; over the limit the form answers 429."""
    if getattr(request, "limited", False):
        response = render(request, "429.html", status=429)
        response["Retry-After"] = "60"
        return response
    return _login(request)


@login_required
def profile(request):
    email_form = EmailChangeForm(request.user, prefix="email")
    password_form = PasswordChangeForm(request.user, prefix="password")
    if request.method == "POST":
        if request.POST.get("action") == "email":
            email_form = EmailChangeForm(request.user, request.POST, prefix="email")
            if email_form.is_valid():
                request.user.email = email_form.cleaned_data["email"]
                request.user.save(update_fields=["email"])
                messages.success(request, "Your e-mail address is changed.")
                return redirect("profile")
        elif request.POST.get("action") == "password":
            password_form = PasswordChangeForm(request.user, request.POST, prefix="password")
            if password_form.is_valid():
                user = password_form.save()
                update_session_auth_hash(request, user)
                messages.success(request, "Your password is changed.")
                return redirect("profile")
    return render(request, "accounts/profile.html", {"email_form": email_form, "password_form": password_form})


@never_cache
@login_required
def keys(request):
    """The key list and the create form. A new key's full text is shown on the next
    page view only: it travels in the session for one redirect and is dropped there."""
    form = ApiKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        key, raw = ApiKey.issue(
            request.user,
            name=form.cleaned_data["name"],
            mode=form.cleaned_data["mode"],
            allowed_ips=form.cleaned_data["allowed_ips"],
            allowed_domains=form.cleaned_data["allowed_domains"],
        )
        request.session[NEW_KEY_SESSION_KEY] = {"id": key.public_id, "raw": raw}
        return redirect("dash-keys")
    new_key = request.session.pop(NEW_KEY_SESSION_KEY, None) if request.method == "GET" else None
    context = {
        "form": form,
        "keys": ApiKey.objects.filter(user=request.user),
        "new_key": new_key,
        "secrets": [(slug, label) for slug, (label, _, _) in SECRETS.items()],
    }
    return render(request, "accounts/keys.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def revoke_key(request, key_id: str):
    key = _get_key_for(request.user, key_id)
    key.revoke()
    messages.success(request, f"The key “{key.name}” ({key.prefix}…) is revoked: requests with it now get 401.")
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
    return render(request, "accounts/partials/secret.html", context)


@require_POST
@login_required
def roll_secret(request, which: str):
    if which not in SECRETS:
        raise Http404
    label, _, roll = SECRETS[which]
    getattr(request.user, roll)()
    messages.success(request, f"The {label.lower()} is rolled: the old one no longer works.")
    return redirect("dash-keys")
