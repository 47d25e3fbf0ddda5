import json
import re
from datetime import date, datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import ROLL_GRACE_PERIODS, ApiKey, validate_allowed_domains, validate_allowed_ips
from accounts.scopes import SCOPES
from billing.models import USAGE_ALERT_THRESHOLDS
from templates_app.models import Image
from templates_app.schema import modifications_schema
from webhooks.models import WebhookSubscription


def start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


class ImageFilterForm(forms.Form):
    """The images page's filters; every field is optional and bad values are ignored."""

    template = forms.ChoiceField(label="Template", required=False)
    status = forms.ChoiceField(label="Status", required=False, choices=[("", "Any status"), *Image.Status.choices])
    mode = forms.ChoiceField(
        label="Mode", required=False, choices=[("", "Live and test"), ("live", "Live"), ("test", "Test")]
    )
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [("", "All templates"), *[(t.public_id, t.name) for t in templates]]

    def filter(self, images):
        if not self.is_valid():
            return images
        data = self.cleaned_data
        if data["template"]:
            images = images.filter(template_public_id=data["template"])
        if data["status"]:
            images = images.filter(status=data["status"])
        if data["mode"]:
            images = images.filter(sandbox=data["mode"] == "test")
        # Day bounds as times (in the site's time zone, as __date would use), so the
        # dates are a range of the (owner, created_at) index rather than a per-row cast.
        if data["since"]:
            images = images.filter(created_at__gte=start_of(data["since"]))
        if data["until"]:
            images = images.filter(created_at__lt=start_of(data["until"] + timedelta(days=1)))
        return images


class RerenderForm(forms.Form):
    """One labelled field per element's primary value (from the template's modifications
    schema, templates_app/schema.py), prefilled from the image's modifications, and a raw
    JSON box for everything else, laid over the fields."""

    format = forms.ChoiceField(label="Format", choices=Image.Format.choices)
    run_async = forms.BooleanField(label="Render in the background", required=False)
    modifications = forms.CharField(
        label="Advanced: more modifications (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "mono"}),
        help_text='Any other field, as the API takes it: {"title": {"color": "#ff0000"}} or "title.color". '
        "Laid over the fields above.",
    )

    def __init__(self, *args, template=None, image_modifications=(), **kwargs):
        super().__init__(*args, **kwargs)
        # element name -> (form field name, primary field, nullable)
        self.element_fields: dict[str, tuple[str, str, bool]] = {}
        if template is None:
            return
        original = {item["name"]: item for item in image_modifications}
        definitions = modifications_schema(template)["$defs"]
        element_fields = {}
        for index, (name, definition) in enumerate(definitions.items()):
            primary = definition["x-imagior-primary-field"]
            schema = definition["properties"][primary]
            nullable = "anyOf" in schema
            base = schema["anyOf"][0] if nullable else schema
            value = original.get(name, {}).get(primary, schema["default"])
            field_name = f"element_{index}"
            element_fields[field_name] = _element_field(name, definition["x-imagior-type"], primary, base, nullable)
            self.initial[field_name] = "" if value is None else str(value)
            self.element_fields[name] = (field_name, primary, nullable)
        # The element fields first, in the template's order.
        self.fields = {**element_fields, **self.fields}

    def clean_modifications(self):
        raw = self.cleaned_data["modifications"].strip()
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ValidationError(f"This is not valid JSON: {exc}.") from None

    def changes(self) -> dict:
        """The fields changed from their prefilled value, in the API's map shape."""
        changed = {}
        for name, (field_name, primary, nullable) in self.element_fields.items():
            if field_name not in self.data:  # not sent at all: no change
                continue
            value = self.cleaned_data[field_name].replace("\r\n", "\n")  # a textarea's line ends
            if value != self.initial[field_name]:
                changed[name] = {primary: None if nullable and value == "" else value}
        return changed

    def field_for(self, element_name: str) -> str:
        """The form field an error about this element goes next to."""
        return self.element_fields.get(element_name, ("modifications",))[0]


FIELD_HELP = {"text": "Text", "src": "Picture URL", "value": "QR code content", "fill": "Fill colour"}


def _element_field(name: str, element_type: str, primary: str, schema: dict, nullable: bool) -> forms.Field:
    """A form field for one element's primary value, its widget by type."""
    attrs = {"spellcheck": "false"}
    if "pattern" in schema:  # a colour
        attrs |= {"pattern": schema["pattern"], "placeholder": "#rrggbb", "class": "mono", "spellcheck": "false"}
        widget = forms.TextInput(attrs=attrs)
    elif primary == "text":
        widget = forms.Textarea(attrs={"rows": 2})
    elif primary == "src":
        widget = forms.URLInput(attrs=attrs | {"placeholder": "https://…"})
    else:
        widget = forms.TextInput(attrs=attrs)
    help_text = FIELD_HELP.get(primary, primary) + (" (empty for none)" if nullable else "")
    return forms.CharField(
        label=f"{name} ({element_type})",
        required=False,
        strip=False,
        max_length=schema.get("maxLength"),
        widget=widget,
        help_text=help_text,
    )


class WebhookEditForm(forms.Form):
    """A subscription's URL and events: what can change after it is created."""

    url = forms.URLField(
        label="Endpoint URL",
        max_length=2000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/imagior"}),
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=WebhookSubscription.Event.choices,
        initial=[WebhookSubscription.Event.IMAGE_COMPLETED, WebhookSubscription.Event.IMAGE_FAILED],
        widget=forms.CheckboxSelectMultiple,
    )


class WebhookForm(WebhookEditForm):
    mode = forms.ChoiceField(
        label="Mode",
        choices=[
            (WebhookSubscription.Mode.LIVE, "Live: events of live images"),
            (WebhookSubscription.Mode.TEST, "Test: events of sandbox images"),
        ],
        initial=WebhookSubscription.Mode.LIVE,
        required=False,  # live unless chosen
        widget=forms.RadioSelect,
        help_text="Like an API key's mode: a subscription hears only events of images of its mode.",
    )

    def clean_mode(self):
        return self.cleaned_data["mode"] or WebhookSubscription.Mode.LIVE


def split_list(text: str) -> list[str]:
    """Values typed one per line or separated by commas or spaces."""
    return [item for item in re.split(r"[\s,]+", text.strip()) if item]


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, help_text="Where the key is used, e.g. “Zapier” or “blog build”."
    )
    mode = forms.ChoiceField(
        label="Mode",
        choices=ApiKey.Mode.choices,
        initial=ApiKey.Mode.TEST,  # the empty state recommends a test key to start with
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


class UsageAlertsForm(forms.Form):
    """The profile page's usage alerts: which shares of the period's credits send an e-mail."""

    thresholds = forms.TypedMultipleChoiceField(
        label="E-mail me when this period's usage reaches",
        required=False,
        coerce=int,
        choices=[(t, f"{t}% of the plan's monthly credits") for t in USAGE_ALERT_THRESHOLDS],
        widget=forms.CheckboxSelectMultiple,
    )
