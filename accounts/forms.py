import re

from allauth.account import forms as allauth_forms
from django import forms

from accounts.models import ROLL_GRACE_PERIODS, ApiKey, validate_allowed_domains, validate_allowed_ips
from accounts.scopes import SCOPES


def split_list(text: str) -> list[str]:
    """Values typed one per line or separated by commas or spaces."""
    return [item for item in re.split(r"[\s,]+", text.strip()) if item]


class LoginForm(allauth_forms.LoginForm):
    """allauth's log-in form in our words: the e-mail address is the user name."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "E-mail"
        self.fields["login"].widget.attrs.update({"autocomplete": "email", "autofocus": True})
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""  # the page links "Forgot your password?"
        self.fields["password"].widget.attrs.pop("placeholder", None)


class SignUpForm(allauth_forms.SignupForm):
    """allauth's sign-up form: an e-mail address and one password (Django's validators)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "E-mail"
        self.fields["email"].widget.attrs.update({"autocomplete": "email", "autofocus": True})
        self.fields["email"].widget.attrs.pop("placeholder", None)
        self.fields["password1"].help_text = "At least 8 characters; not a common password."
        self.fields["password1"].widget.attrs.pop("placeholder", None)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, help_text="Where the key is used, e.g. “Zapier” or “blog build”."
    )
    mode = forms.ChoiceField(
        label="Mode",
        choices=ApiKey.Mode.choices,
        initial=ApiKey.Mode.LIVE,
        widget=forms.RadioSelect,
        help_text="Test keys render free, watermarked “SANDBOX” images.",
    )
    allowed_ips = forms.CharField(
        label="Allowed IPs",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "203.0.113.7, 198.51.100.0/24"}),
        help_text="Optional. IP addresses or CIDR ranges; other clients get 403.",
    )
    allowed_domains = forms.CharField(
        label="Allowed domains",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "example.com, *.example.com"}),
        help_text="Optional. For keys used from a browser: the Origin or Referer host must be listed.",
    )

    scopes = forms.MultipleChoiceField(
        label="Scopes",
        required=False,
        choices=[(scope, f"{scope} — {meaning}") for scope, meaning in SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text="Optional. None ticked: the key may do everything. A storefront key needs only images:write.",
    )
    allowed_templates = forms.MultipleChoiceField(
        label="Templates",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Optional. None ticked: every template. Otherwise the key renders and sees only these.",
    )
    expires_in_days = forms.TypedChoiceField(
        label="Expires",
        coerce=int,
        empty_value=None,
        required=False,
        choices=[
            ("", "Never"),
            (1, "In 1 day"),
            (7, "In 7 days"),
            (30, "In 30 days"),
            (90, "In 90 days"),
            (365, "In a year"),
        ],
        help_text="After this the key answers 401, like a revoked one.",
    )

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allowed_templates"].choices = [(t.public_id, f"{t.name} ({t.public_id})") for t in templates]
        if not templates:
            self.fields["allowed_templates"].help_text = "You have no templates yet: the key may use every template."

    def clean_allowed_ips(self) -> list[str]:
        values = split_list(self.cleaned_data["allowed_ips"])
        validate_allowed_ips(values)
        return values

    def clean_allowed_domains(self) -> list[str]:
        values = [value.lower() for value in split_list(self.cleaned_data["allowed_domains"])]
        validate_allowed_domains(values)
        return values


class RollKeyForm(forms.Form):
    grace = forms.ChoiceField(
        label="The old key keeps working",
        choices=[("none", "Not at all"), ("1h", "For 1 hour"), ("24h", "For 24 hours"), ("7d", "For 7 days")],
        initial="24h",
    )

    def clean_grace(self):
        return ROLL_GRACE_PERIODS[self.cleaned_data["grace"]]
