import unicodedata

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import parse_id

from .models import LicenseType

SEARCH_MAX_LENGTH = 150
# Longer values are shown cut to this length in error messages.
SHOWN_VALUE_LENGTH = 24


def shown_value(value) -> str:
    """Return a posted value as messages quote it: cut to 24 characters, with
    an ellipsis where it was cut."""
    value = str(value)
    if len(value) > SHOWN_VALUE_LENGTH:
        return f"{value[:SHOWN_VALUE_LENGTH]}…"
    return value


def clean_search(text: str) -> str:
    """Return search text fit for a query: trimmed, without NUL, at most 150 long.

    PostgreSQL rejects NUL characters in text parameters, and no name or email
    contains one. Accents are composed (NFC), as saved names are.
    """
    text = unicodedata.normalize("NFC", text.replace("\x00", ""))
    return text.strip()[:SEARCH_MAX_LENGTH]


class SearchField(forms.CharField):
    """Search text, cleaned by clean_search. A NUL character is dropped rather
    than refused, as no name or email contains one."""

    def to_python(self, value):
        return clean_search(super().to_python(value))


class QuotesShortValue:
    """For a field whose messages quote the posted value as %(value)s: quote
    at most 24 characters of it (shown_value)."""

    def clean(self, value):
        try:
            return super().clean(value)
        except forms.ValidationError as error:
            for item in error.error_list:
                if item.params and "value" in item.params:
                    item.params["value"] = shown_value(item.params["value"])
            raise


class QuotedChoiceField(QuotesShortValue, forms.ChoiceField):
    pass


class QuotedModelChoiceField(QuotesShortValue, forms.ModelChoiceField):
    pass


class SeatChangeForm(forms.Form):
    """The member an administrator assigns a license to or removes it from."""

    member = forms.CharField(
        error_messages={
            "required": gettext_lazy(
                "No member was chosen. Choose a member from the list."
            ),
            "null_characters_not_allowed": gettext_lazy(
                "The member id contains a NUL character. Choose a member from the list."
            ),
        },
    )
    # The search text of the member list, kept so that the refreshed card
    # shows the same matches.
    q = SearchField(required=False)

    def clean_member(self):
        value = self.cleaned_data["member"]
        member_id = parse_id(value)
        if member_id is None:
            raise forms.ValidationError(
                _("“%(value)s” is not a member id. Choose a member from the list.")
                % {"value": shown_value(value)}
            )
        return member_id


class HistoryFilterForm(forms.Form):
    """Filters of Settings > History; both are optional."""

    license_type = QuotedModelChoiceField(
        queryset=None,
        required=False,
        empty_label=gettext_lazy("All license types"),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={
            "invalid_choice": gettext_lazy(
                "“%(value)s” is not a license type of the catalog. "
                "Choose one from the list."
            )
        },
    )
    member = QuotedModelChoiceField(
        queryset=None,
        required=False,
        empty_label=gettext_lazy("All members"),
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={
            "invalid_choice": gettext_lazy(
                "“%(value)s” is not a member of your organization. "
                "Choose one from the list."
            )
        },
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["license_type"].queryset = LicenseType.objects.all()
        self.fields["member"].queryset = organization.members.order_by(
            "full_name", "email"
        )


NO_EXTRA_LICENSE = "none"


class MemberFilterForm(forms.Form):
    """Search and filters of Settings > Members; all optional."""

    q = SearchField(required=False, label=gettext_lazy("Search"))
    license = QuotedChoiceField(
        required=False,
        label=gettext_lazy("License"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    administrators = forms.BooleanField(
        required=False, label=gettext_lazy("Administrators only")
    )

    def __init__(self, *args, holdings, **kwargs):
        super().__init__(*args, **kwargs)
        self.holdings = {str(holding.pk): holding for holding in holdings}
        self.fields["license"].choices = [
            ("", _("Any license")),
            (NO_EXTRA_LICENSE, _("No license beyond the automatic ones")),
            *[
                (key, holding.license_type.display_name)
                for key, holding in self.holdings.items()
            ],
        ]
        self.fields["license"].error_messages["invalid_choice"] = _(
            "“%(value)s” is not a license type your organization holds. "
            "Choose one from the list."
        )

    def clean_license(self):
        value = self.cleaned_data["license"]
        return self.holdings.get(value, value)


class IdListField(forms.Field):
    """Every value posted under one name, as check boxes send them.

    The values are checked by the form, against the database in one query.
    """

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        return list(value or [])


class BulkChangeForm(forms.Form):
    """One license type assigned to or removed from many members at once."""

    ASSIGN, REMOVE = "assign", "remove"

    action = QuotedChoiceField(
        choices=[(ASSIGN, gettext_lazy("Assign")), (REMOVE, gettext_lazy("Remove"))],
        error_messages={
            "required": gettext_lazy("The action is missing. Choose assign or remove."),
            "invalid_choice": gettext_lazy(
                "“%(value)s” is not an action. Choose assign or remove."
            ),
        },
    )
    holding = QuotedChoiceField(
        error_messages={
            "required": gettext_lazy("Choose the license type to assign or remove."),
            "invalid_choice": gettext_lazy(
                "“%(value)s” is not a license type your organization holds. "
                "Choose one from the list."
            ),
        },
    )
    member = IdListField(required=False)
    everyone_matching = forms.BooleanField(required=False)
    # Assign to members who already have every capability of the type
    # through other licenses, which is refused without it.
    confirm_redundant = forms.BooleanField(required=False)

    def __init__(self, *args, holdings, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.holdings = {str(holding.pk): holding for holding in holdings}
        self.fields["holding"].choices = [(key, key) for key in self.holdings]
        self.members = members

    def clean_holding(self):
        return self.holdings[self.cleaned_data["holding"]]

    def clean_member(self):
        values = self.cleaned_data["member"]
        ids = [parse_id(value) for value in values]
        invalid = [value for value, id_ in zip(values, ids, strict=True) if id_ is None]
        if invalid:
            raise forms.ValidationError(
                _("“%(value)s” is not a member id. Select members from the list.")
                % {"value": shown_value(invalid[0])}
            )
        found = set(self.members.filter(pk__in=ids).values_list("pk", flat=True))
        unknown = [id_ for id_ in ids if id_ not in found]
        if unknown:
            raise forms.ValidationError(
                _(
                    "Member %(id)s is not an active member of your organization. "
                    "Reload the page and select again."
                )
                % {"id": unknown[0]}
            )
        return ids

    def clean(self):
        cleaned_data = super().clean()
        chose_nobody = not cleaned_data.get("everyone_matching") and not (
            cleaned_data.get("member")
        )
        if chose_nobody and "member" not in self.errors:
            raise forms.ValidationError(
                _("Select at least one member, or every member matching the filter.")
            )
        return cleaned_data
