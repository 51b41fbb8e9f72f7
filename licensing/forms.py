from django import forms

SEARCH_MAX_LENGTH = 150


class SeatChangeForm(forms.Form):
    """The member an administrator assigns a license to or removes it from."""

    member = forms.CharField(
        max_length=20,
        error_messages={
            "required": "No member was chosen. Choose a member from the list.",
            "max_length": "That member id is too long. Choose a member from the list.",
        },
    )
    # The search text of the member list, kept so that the refreshed card
    # shows the same matches.
    q = forms.CharField(required=False, strip=True)

    def clean_member(self):
        value = self.cleaned_data["member"]
        if not value.isascii() or not value.isdigit() or int(value) == 0:
            raise forms.ValidationError(
                f"“{value}” is not a member id. Choose a member from the list."
            )
        return int(value)

    def clean_q(self):
        return self.cleaned_data["q"][:SEARCH_MAX_LENGTH]
