import unicodedata

import regex
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import Permission, PermissionsMixin
from django.db import models
from django.db.models import Value
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries.fields import CountryField

# The permission that makes a member an administrator of their organization.
# It is granted through the "Administrators" group.
ADMINISTRATOR_PERMISSION = "licensing.manage_licenses"


# The largest value of a BigAutoField primary key.
MAX_ID = 2**63 - 1


def parse_id(value) -> int | None:
    """Return `value` as a positive database id, or None when it is not one.

    Only ASCII digits count: str.isdigit() also accepts characters such as
    "²" that int() rejects.
    """
    text = str(value).strip()
    # The length check comes first: int() refuses strings of over 4,300 digits.
    if text.isascii() and text.isdigit() and len(text) <= 19:
        number = int(text)
        if 0 < number <= MAX_ID:
            return number
    return None


class OrganizationManager(models.Manager):
    def get_by_reference(self, reference: str):
        """Find an organization by its id, else by its name, ignoring letter case.

        A name that matches several organizations only when case is ignored
        must match one exactly. Raises Organization.DoesNotExist with a message
        that names the value.
        """
        reference = reference.strip()
        found = None
        if (organization_id := parse_id(reference)) is not None:
            found = self.filter(pk=organization_id).first()
        if found is None:
            named = list(self.filter(name__iexact=reference)[:10])
            exact = [
                organization for organization in named if organization.name == reference
            ]
            if len(named) == 1 or len(exact) == 1:
                found = (exact or named)[0]
            elif named:
                choices = ", ".join(f"{o.pk} ({o.name})" for o in named)
                raise self.model.DoesNotExist(
                    _(
                        "“%(reference)s” names several organizations when letter "
                        "case is ignored: %(choices)s. Give the id instead."
                    )
                    % {"reference": reference, "choices": choices}
                )
        if found is None:
            known = ", ".join(f"{o.pk} ({o.name})" for o in self.all()[:10])
            raise self.model.DoesNotExist(
                _(
                    "No organization “%(reference)s”. Give its id or its exact "
                    "name; known: %(known)s."
                )
                % {"reference": reference, "known": known or _("none")}
            )
        return found


class Organization(models.Model):
    """A customer company. Every member belongs to exactly one."""

    name = models.CharField(max_length=200)
    region = CountryField(
        help_text=gettext_lazy("Country where the organization is served.")
    )

    objects = OrganizationManager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class UserQuerySet(models.QuerySet):
    def administrators(self):
        """Active users holding the administrator permission.

        The permission comes from a group or is given directly; superusers have
        every permission. Filter by organization as well: the permission itself
        is not tied to one.
        """
        app_label, codename = ADMINISTRATOR_PERMISSION.split(".")
        granted = models.Q(
            groups__permissions__codename=codename,
            groups__permissions__content_type__app_label=app_label,
        ) | models.Q(
            user_permissions__codename=codename,
            user_permissions__content_type__app_label=app_label,
        )
        return self.filter(
            models.Q(pk__in=self.model.objects.filter(granted).values("pk"))
            | models.Q(is_superuser=True),
            is_active=True,
        )

    def with_administrator_flag(self):
        """Annotate `is_organization_administrator`, as administrators() decides.

        Each row gets its own EXISTS on its groups' and its own permissions,
        which their user_id indexes serve. A has_perm call per row would cost
        queries in proportion to the rows, and one subquery over
        administrators() made PostgreSQL hash every user of every
        organization for each page.
        """
        app_label, codename = ADMINISTRATOR_PERMISSION.split(".")
        permission = Permission.objects.filter(
            codename=codename, content_type__app_label=app_label
        )
        user = models.OuterRef("pk")
        through_group = self.model.groups.through.objects.filter(
            user_id=user, group__permissions__in=permission
        )
        given_directly = self.model.user_permissions.through.objects.filter(
            user_id=user, permission__in=permission
        )
        is_administrator = models.Q(
            models.Q(is_superuser=True)
            | models.Exists(through_group)
            | models.Exists(given_directly),
            is_active=True,
            organization__isnull=False,
        )
        return self.annotate(
            is_organization_administrator=models.ExpressionWrapper(
                is_administrator, output_field=models.BooleanField()
            )
        )


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        # Sign-in matches the email address regardless of letter case with the
        # same Lower() as the unique constraint, whose index serves the lookup.
        return self.alias(email_lower=Lower("email")).get(
            email_lower=Lower(Value(username))
        )

    def create_user(self, email, password=None, **extra_fields):
        if not email:
            raise ValueError(_("An email address is required to create a user."))
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with their email address.

    Members belong to an organization. Support staff of the provider have none
    and work in the Django admin.
    """

    email = models.EmailField(gettext_lazy("email address"))
    full_name = models.CharField(max_length=150, blank=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="members",
        help_text=gettext_lazy("Empty for support staff."),
    )
    is_staff = models.BooleanField(
        gettext_lazy("staff status"),
        default=False,
        help_text=gettext_lazy(
            "Designates whether the user can sign in to the Django admin."
        ),
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    language = models.CharField(
        gettext_lazy("language"),
        max_length=10,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=gettext_lazy(
            "Language of the portal on every device. While it is empty, the "
            "browser's language applies."
        ),
    )

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]
        indexes = [
            # Members of one organization in name order: the Members page,
            # the member search and the administrator lists.
            models.Index(
                fields=["organization", "full_name", "email"],
                name="user_organization_name",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_unique_ignoring_case",
                violation_error_message=gettext_lazy(
                    "A user with this email address already exists."
                ),
            ),
        ]

    def __str__(self):
        return self.full_name or self.email

    def save(self, *args, **kwargs):
        # One form per accented letter, so that searches typed in the composed
        # form find names entered with combining accents.
        self.full_name = unicodedata.normalize("NFC", self.full_name)
        super().save(*args, **kwargs)

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.full_name.split(" ", 1)[0] if self.full_name else self.email

    @property
    def display_name(self):
        return self.full_name or self.email

    @property
    def initials(self):
        """Up to two user-perceived characters for the avatar.

        The first characters of the first and last words of the name, or the
        first character of the email address when the name is blank. `\\X`
        matches a whole grapheme cluster, so a letter with a combining accent
        or an emoji made of several code points is never cut in half.
        """
        firsts = [regex.match(r"\X", word).group() for word in self.full_name.split()]
        # Words that begin with a letter make the initials; a name made only of
        # emoji or symbols uses those instead.
        letters = [first for first in firsts if first[0].isalpha()] or firsts
        if not letters:
            letters = [regex.match(r"\X", self.email).group()]
        if len(letters) > 1:
            letters = [letters[0], letters[-1]]
        return "".join(_upper_if_same_length(letter) for letter in letters)

    @property
    def is_administrator(self):
        return (
            self.is_active
            and self.organization_id is not None
            and self.has_perm(ADMINISTRATOR_PERMISSION)
        )


def _upper_if_same_length(letter):
    # "ß".upper() is "SS": keep such letters as they are so initials stay two
    # characters at most.
    upper = letter.upper()
    return upper if len(upper) == len(letter) else letter
