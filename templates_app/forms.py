import json

from django import forms
from django.core.exceptions import ValidationError

from templates_app.models import Image
from webhooks.models import WebhookSubscription


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
        if data["since"]:
            images = images.filter(created_at__date__gte=data["since"])
        if data["until"]:
            images = images.filter(created_at__date__lte=data["until"])
        return images


class RerenderForm(forms.Form):
    modifications = forms.CharField(
        label="Modifications (JSON)",
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false", "class": "mono"}),
        help_text='A list of {"name": …, field: value} objects, or a map by element name, as the API takes.',
    )
    format = forms.ChoiceField(label="Format", choices=Image.Format.choices)
    run_async = forms.BooleanField(label="Render in the background", required=False)

    def clean_modifications(self):
        try:
            return json.loads(self.cleaned_data["modifications"])
        except ValueError as exc:
            raise ValidationError(f"This is not valid JSON: {exc}.") from None


class WebhookForm(forms.Form):
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
