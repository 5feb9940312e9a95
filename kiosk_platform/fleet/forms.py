"""The add-a-kiosk form: where the kiosk belongs, its channel group and name, where it stands."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from content_sync.sync.repository import GroupError, check_group
from kiosk_platform.orgs.models import Organisation


class AddKioskForm(forms.Form):
    organisation = forms.ModelChoiceField(queryset=Organisation.objects.none(), empty_label=None)
    group = forms.CharField(
        max_length=64, help_text="The channel group the kiosk follows: county/kind, e.g. chengguan/station."
    )
    name = forms.CharField(max_length=120)
    latitude = forms.FloatField(required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(required=False, min_value=-180, max_value=180)

    def __init__(self, *args: object, organisations: QuerySet[Organisation], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]

    def clean_group(self) -> str:
        group = self.cleaned_data["group"].strip()
        try:
            check_group(group)
        except GroupError:
            raise forms.ValidationError(
                "A group is county/kind in lower-case letters, digits and '-', e.g. chengguan/station."
            ) from None
        return group

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the kiosk a name.")
        return name

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise forms.ValidationError("Give both latitude and longitude, or neither.")
        return data
