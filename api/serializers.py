"""Input shapes checked at the edge, and the output shapes of docs/api.md."""

import json

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from accounts.models import ApiKey
from accounts.scopes import SCOPES
from billing import ledger
from lib.errors import did_you_mean
from lib.timestamps import iso_z
from templates_app.models import DesignTemplate, Image
from templates_app.representations import image_data, template_data
from webhooks.models import WebhookSubscription

MAX_METADATA_BYTES = 8 * 1024


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, with a did-you-mean, as Stripe does."""

    def validate(self, attrs):
        if isinstance(self.initial_data, dict):
            unknown = [key for key in self.initial_data if key not in self.fields]
            if unknown:
                raise serializers.ValidationError(
                    {key: [f"Unknown field.{did_you_mean(key, self.fields)}"] for key in unknown}
                )
        return attrs


class JsonBooleanField(serializers.BooleanField):
    """true or false as JSON booleans only: DRF's own also takes 1, "yes" and "on",
    which the OpenAPI document (type: boolean) does not allow."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class DeliveryOptions(StrictSerializer):
    """`async` and `callback_url`, shared by renders and edits."""

    callback_url = serializers.URLField(max_length=2000, required=False, allow_null=True, default=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # `async` is a Python keyword, so it is declared here.
        self.fields["async"] = JsonBooleanField(required=False, default=False)

    def validate_callback_url(self, value):
        if value and not value.lower().startswith(("https://", "http://")):
            raise serializers.ValidationError("Must be an http(s) URL.")
        return value


@extend_schema_serializer(component_name="Render")
class RenderRequestSerializer(DeliveryOptions):
    template = serializers.CharField(max_length=40)
    modifications = serializers.JSONField(required=False, default=list)
    format = serializers.ChoiceField(choices=Image.Format.values, default="png")
    scale = serializers.FloatField(min_value=0.1, max_value=4, default=1)
    quality = serializers.IntegerField(min_value=1, max_value=100, default=90)
    metadata = serializers.DictField(required=False, default=dict)

    def validate_metadata(self, value):
        if len(json.dumps(value)) > MAX_METADATA_BYTES:
            raise serializers.ValidationError(f"At most {MAX_METADATA_BYTES} bytes of JSON.")
        return value


class TemplateSerializer(serializers.ModelSerializer):
    # The template object: typed here (from the model) for the OpenAPI document, built by
    # templates_app/representations.py, which the designer's page and save answer use too.
    id = serializers.CharField(source="public_id")
    # The ~400 px gallery thumbnail at an unguessable URL, once rendered (docs/designer.md).
    preview_url = serializers.CharField(allow_null=True, read_only=True)

    class Meta:
        model = DesignTemplate
        fields = [
            "id",
            "name",
            "width",
            "height",
            "background",
            "version",
            "elements",
            "preview_url",
            "created_at",
            "updated_at",
        ]

    def to_representation(self, instance):
        return template_data(instance)


class ImageErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ImageWarningSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="e.g. `text_shrunk`, `unknown_font`")
    element = serializers.CharField(required=False)
    message = serializers.CharField()


@extend_schema_serializer(component_name="Image")
class ImageSerializer(serializers.Serializer):
    """The image object: typed here for the OpenAPI document, built by
    templates_app/representations.py (webhook payloads use the same function), so
    the API and webhooks cannot disagree; test_images_api checks the fields match."""

    id = serializers.CharField(help_text="`img_…`")
    status = serializers.ChoiceField(choices=Image.Status.values)
    template = serializers.CharField(help_text="`tpl_…`")
    template_version = serializers.IntegerField()
    format = serializers.ChoiceField(choices=Image.Format.values)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    file_size = serializers.IntegerField(allow_null=True)
    url = serializers.URLField(allow_null=True, help_text="Public, unguessable; null until the image exists.")
    sandbox = serializers.BooleanField()
    credits_used = serializers.IntegerField()
    modifications = serializers.ListField(
        child=serializers.DictField(), help_text="The modifications applied, normalised to the list shape."
    )
    metadata = serializers.DictField()
    callback_url = serializers.URLField(allow_null=True)
    source_image = serializers.CharField(allow_null=True, help_text="For edits: the `img_…` edited.")
    warnings = ImageWarningSerializer(many=True)
    error = ImageErrorSerializer(allow_null=True)
    render_ms = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, instance):
        return image_data(instance)


@extend_schema_serializer(component_name="ImageEdit")
class RenderOptionsSerializer(DeliveryOptions):
    """What an edit may change (POST /api/v1/images/{id}/edit)."""

    modifications = serializers.JSONField(required=False, default=list)
    format = serializers.ChoiceField(choices=Image.Format.values, required=False)
    scale = serializers.FloatField(min_value=0.1, max_value=4, required=False)
    quality = serializers.IntegerField(min_value=1, max_value=100, required=False)


class WebhookSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id", help_text="`whk_…`")
    url = serializers.URLField(max_length=2000)
    events = serializers.ListField(child=serializers.ChoiceField(choices=WebhookSubscription.Event.values))
    mode = serializers.ChoiceField(
        choices=WebhookSubscription.Mode.values, help_text="The creating key's mode: hears only events of it."
    )
    disabled_at = serializers.DateTimeField(
        allow_null=True, help_text="Set when every try failed for 3 days; re-enabled from the dashboard."
    )
    created_at = serializers.DateTimeField()


@extend_schema_serializer(component_name="WebhookCreated")
class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text="`whsec_…`: verifies deliveries. Shown this once.")


# Documented as a URL and a list of events, but taken as any string and any list of strings:
# webhooks.services.create_subscription checks them, with the messages the API answers.
@extend_schema_field(serializers.URLField(max_length=2000))
class WebhookUrlField(serializers.CharField):
    pass


@extend_schema_field(
    serializers.ListField(child=serializers.ChoiceField(choices=WebhookSubscription.Event.values), min_length=1)
)
class WebhookEventsField(serializers.ListField):
    pass


@extend_schema_serializer(component_name="WebhookInput")
class WebhookInputSerializer(StrictSerializer):
    url = WebhookUrlField(max_length=2000, help_text="http(s); receives signed POSTs (Standard Webhooks).")
    events = WebhookEventsField(child=serializers.CharField(max_length=40), allow_empty=False, min_length=1)


class AccountPlanSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    monthly_credits = serializers.IntegerField()
    rate_limit_per_minute = serializers.IntegerField()


class AccountCreditsSerializer(serializers.Serializer):
    balance = serializers.IntegerField()
    used_this_period = serializers.IntegerField()
    period_ends_at = serializers.DateTimeField(allow_null=True)


class AccountKeySerializer(serializers.Serializer):
    id = serializers.CharField(help_text="`key_…`")
    name = serializers.CharField()
    mode = serializers.ChoiceField(choices=ApiKey.Mode.values)
    prefix = serializers.CharField()
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=list(SCOPES)), help_text="What the key may do; empty: everything."
    )
    allowed_templates = serializers.ListField(
        child=serializers.CharField(), help_text="The templates the key may use; empty: all."
    )
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When the key stops working; null: never.")


class AccountWorkspaceSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="`wsp_…`")
    name = serializers.CharField()


class AccountSecretsSerializer(serializers.Serializer):
    callback = serializers.CharField(help_text="`whsec_…`: signs `callback_url` deliveries.")
    url_signing = serializers.CharField(help_text="`uss_…`: signs `/i/…` URLs.")


@extend_schema_serializer(component_name="Account")
class AccountSerializer(serializers.Serializer):
    # GET /api/v1/account, from {"account": BillingAccount, "key": ApiKey}: typed here for the
    # OpenAPI document, built by account_data; test_account_api checks the fields match.
    email = serializers.EmailField(allow_null=True, help_text="null for a key without the `account:read` scope.")
    plan = AccountPlanSerializer(allow_null=True, help_text="null for a key without the `account:read` scope.")
    credits = AccountCreditsSerializer(allow_null=True, help_text="null for a key without the `account:read` scope.")
    workspace = AccountWorkspaceSerializer(
        allow_null=True,
        help_text="The workspace the key belongs to; null for a key without the `account:read` scope.",
    )
    key = AccountKeySerializer(help_text="The key this request used.")
    secrets = AccountSecretsSerializer(
        allow_null=True,
        help_text="Only for a live key without `allowed_domains`, scopes or templates; null for the others.",
    )

    def to_representation(self, instance):
        return account_data(instance["account"], instance["key"])


def account_data(account, key: ApiKey) -> dict:
    """The account and the key in use. Any key may read its own restrictions; the rest needs
    account:read."""
    key_data = {
        "id": key.public_id,
        "name": key.name,
        "mode": key.mode,
        "prefix": key.prefix,
        "scopes": key.scopes,
        "allowed_templates": key.allowed_templates,
        "expires_at": iso_z(key.expires_at),
    }
    if not key.allows_scope("account:read"):
        return {"email": None, "plan": None, "credits": None, "workspace": None, "key": key_data, "secrets": None}
    plan, user = account.plan, account.user
    secrets = {"callback": user.callback_secret, "url_signing": user.url_signing_secret}
    if key.is_test or key.allowed_domains or key.is_restricted:
        # Only a live, unrestricted server key sees them: a test key must not mint signed
        # URLs that spend live credits, and a browser key (allowed_domains) sits in a web page.
        secrets = None
    return {
        "email": user.email,
        "plan": {
            "slug": plan.slug,
            "name": plan.name,
            "monthly_credits": plan.monthly_credits,
            "rate_limit_per_minute": plan.rate_limit_per_minute,
        },
        "credits": {
            "balance": account.balance,
            "used_this_period": ledger.used_this_period(account),
            "period_ends_at": iso_z(account.period_ends_at),
        },
        "workspace": {"id": key.workspace.public_id, "name": key.workspace.name},
        "key": key_data,
        "secrets": secrets,
    }


class FontUploadSerializer(StrictSerializer):
    file = serializers.FileField()
    family = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    weight = serializers.IntegerField(min_value=100, max_value=900, required=False, default=None)
    italic = serializers.BooleanField(required=False, default=None, allow_null=True)


class UserFontSerializer(serializers.Serializer):
    id = serializers.CharField(source="public_id", help_text="`fnt_…`")
    family = serializers.CharField(max_length=64)
    weight = serializers.IntegerField()
    italic = serializers.BooleanField()
    format = serializers.CharField(source="original_format", help_text="ttf, otf, woff or woff2, as uploaded")
    file_size = serializers.IntegerField()
    created_at = serializers.DateTimeField()
