"""Input shapes checked at the edge, and the output shapes of docs/api.md."""

import json

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from billing import ledger
from lib.errors import did_you_mean
from lib.timestamps import iso_z
from templates_app import previews
from templates_app.models import DesignTemplate, Image, UserFont
from templates_app.representations import image_data
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
    id = serializers.CharField(source="public_id")
    preview_url = serializers.SerializerMethodField()

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

    def get_preview_url(self, template) -> str | None:
        # The ~400 px gallery thumbnail at an unguessable URL, once rendered (docs/designer.md).
        return previews.public_thumbnail_url(template)


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


class WebhookSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    mode = serializers.ChoiceField(choices=WebhookSubscription.Mode.values, read_only=True)

    class Meta:
        model = WebhookSubscription
        fields = ["id", "url", "events", "mode", "disabled_at", "created_at"]


class WebhookInputSerializer(StrictSerializer):
    url = serializers.CharField(max_length=2000)
    events = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=False)


class PlanSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    monthly_credits = serializers.IntegerField()
    rate_limit_per_minute = serializers.IntegerField()


class AccountSerializer(serializers.Serializer):
    """GET /api/v1/account, from {"account": BillingAccount, "key": ApiKey}."""

    email = serializers.EmailField(source="account.user.email")
    plan = PlanSerializer(source="account.plan")
    credits = serializers.SerializerMethodField()
    workspace = serializers.SerializerMethodField()
    key = serializers.SerializerMethodField()
    secrets = serializers.SerializerMethodField()

    def get_workspace(self, obj) -> dict:
        workspace = obj["key"].workspace
        return {"id": workspace.public_id, "name": workspace.name}

    def get_credits(self, obj) -> dict:
        account = obj["account"]
        return {
            "balance": account.balance,
            "used_this_period": ledger.used_this_period(account),
            "period_ends_at": iso_z(account.period_ends_at),
        }

    def get_key(self, obj) -> dict:
        key = obj["key"]
        return {
            "id": key.public_id,
            "name": key.name,
            "mode": key.mode,
            "prefix": key.prefix,
            "scopes": key.scopes,
            "allowed_templates": key.allowed_templates,
            "expires_at": iso_z(key.expires_at),
        }

    def get_secrets(self, obj) -> dict | None:
        key = obj["key"]
        # Only a live, unrestricted server key sees them: a test key must not mint signed
        # URLs that spend live credits, and a browser key (allowed_domains) sits in a web page.
        if key.is_test or key.allowed_domains or key.is_restricted:
            return None
        user = obj["account"].user
        return {"callback": user.callback_secret, "url_signing": user.url_signing_secret}


class FontUploadSerializer(StrictSerializer):
    file = serializers.FileField()
    family = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    weight = serializers.IntegerField(min_value=100, max_value=900, required=False, default=None)
    italic = serializers.BooleanField(required=False, default=None, allow_null=True)


class UserFontSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    format = serializers.CharField(source="original_format")

    class Meta:
        model = UserFont
        fields = ["id", "family", "weight", "italic", "format", "file_size", "created_at"]
