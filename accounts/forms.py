import re

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts import signup
from accounts.models import ApiKey, User, validate_allowed_domains, validate_allowed_ips


def split_list(text: str) -> list[str]:
    """Values typed one per line or separated by commas or spaces."""
    return [item for item in re.split(r"[\s,]+", text.strip()) if item]


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 8 characters; not a common password.",
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if signup.email_taken(email):
            raise ValidationError("An account with this e-mail exists already. Log in instead?")
        return email

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("email") and cleaned.get("password"):
            try:
                password_validation.validate_password(cleaned["password"], User(email=cleaned["email"]))
            except ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class LoginForm(AuthenticationForm):
    """Django's login form with the e-mail address as the user name."""

    username = forms.EmailField(
        label="E-mail", widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )


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

    def clean_allowed_ips(self) -> list[str]:
        values = split_list(self.cleaned_data["allowed_ips"])
        validate_allowed_ips(values)
        return values

    def clean_allowed_domains(self) -> list[str]:
        values = [value.lower() for value in split_list(self.cleaned_data["allowed_domains"])]
        validate_allowed_domains(values)
        return values


class EmailChangeForm(forms.Form):
    email = forms.EmailField(label="New e-mail", widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    current_password = forms.CharField(
        label="Current password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, user: User, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.user.pk).exists():
            raise ValidationError("Another account uses this e-mail.")
        return email

    def clean_current_password(self) -> str:
        password = self.cleaned_data["current_password"]
        if not self.user.check_password(password):
            raise ValidationError("That is not your current password.")
        return password
