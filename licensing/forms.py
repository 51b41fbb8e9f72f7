from django import forms

from accounts.models import parse_id

from .models import LicenseType

SEARCH_MAX_LENGTH = 150
# Longer values are shown cut to this length in error messages.
SHOWN_VALUE_LENGTH = 24


def clean_search(text: str) -> str:
    """Return search text fit for a query: trimmed, without NUL, at most 150 long.

    PostgreSQL rejects NUL characters in text parameters, and no name or email
    contains one.
    """
    return text.replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]


class SeatChangeForm(forms.Form):
    """The member an administrator assigns a license to or removes it from."""

    member = forms.CharField(
        error_messages={
            "required": "No member was chosen. Choose a member from the list.",
        },
    )
    # The search text of the member list, kept so that the refreshed card
    # shows the same matches.
    q = forms.CharField(required=False, strip=True)

    def clean_member(self):
        value = self.cleaned_data["member"]
        member_id = parse_id(value)
        if member_id is None:
            if len(value) > SHOWN_VALUE_LENGTH:
                value = f"{value[:SHOWN_VALUE_LENGTH]}…"
            raise forms.ValidationError(
                f"“{value}” is not a member id. Choose a member from the list."
            )
        return member_id

    def clean_q(self):
        return clean_search(self.cleaned_data["q"])


class HistoryFilterForm(forms.Form):
    """Filters of Settings > History; both are optional."""

    license_type = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="All license types",
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={
            "invalid_choice": "“%(value)s” is not a license type of the catalog. "
            "Choose one from the list."
        },
    )
    member = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="All members",
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={
            "invalid_choice": "“%(value)s” is not a member of your organization. "
            "Choose one from the list."
        },
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["license_type"].queryset = LicenseType.objects.all()
        self.fields["member"].queryset = organization.members.order_by(
            "full_name", "email"
        )
