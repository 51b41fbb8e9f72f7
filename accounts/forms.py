from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy

from .models import User


class SignInForm(auth_forms.AuthenticationForm):
    """Django's sign-in form, with a message that fits sign-in by email.

    Django's own message states that both fields are case-sensitive, but
    the email address is matched regardless of case (UserManager).
    """

    error_messages = auth_forms.AuthenticationForm.error_messages | {
        "invalid_login": gettext_lazy(
            "Enter a correct email address and password. The password is "
            "case-sensitive."
        ),
    }


class UserCreationForm(auth_forms.BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "full_name", "organization"]


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
