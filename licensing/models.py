from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django_countries.fields import CountryField

from . import details


def is_french_active() -> bool:
    """Return whether the active language is French, such as fr-ca."""
    return (get_language() or "").split("-")[0] == "fr"


def localized(english: str, french: str) -> str:
    """Return `french` while French is active and it is filled, else `english`."""
    return french if french and is_french_active() else english


class SlugManager(models.Manager):
    """Finds rows by slug, their natural key in fixtures."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Capability(models.Model):
    """Something a member can use, such as video meetings or the fax service.

    License types grant capabilities; licensing.capabilities answers whether a
    member may use one.
    """

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    name_fr = models.CharField(
        gettext_lazy("name (French)"),
        max_length=100,
        blank=True,
        help_text=gettext_lazy("Leave empty to show the English name."),
    )

    objects = SlugManager()

    class Meta:
        # By the English name in every language, so lists keep one order.
        ordering = ["name"]
        verbose_name_plural = gettext_lazy("capabilities")

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language, English when no French is given."""
        return localized(self.name, self.name_fr)

    def natural_key(self):
        return (self.slug,)


class LicenseType(models.Model):
    """An entry of the catalog, such as Virtual Fax or Call Queue – Agent."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100, unique=True)
    summary = models.CharField(
        max_length=200, help_text=gettext_lazy("One line shown beside the name.")
    )
    description = models.TextField(blank=True)
    features = models.TextField(
        blank=True, help_text=gettext_lazy("One feature per line.")
    )
    # French versions, shown while fr-ca is active. Each empty one shows the
    # English field instead.
    name_fr = models.CharField(
        gettext_lazy("name (French)"),
        max_length=100,
        blank=True,
        help_text=gettext_lazy("Leave empty to show the English name."),
    )
    summary_fr = models.CharField(
        gettext_lazy("summary (French)"),
        max_length=200,
        blank=True,
        help_text=gettext_lazy("Leave empty to show the English summary."),
    )
    description_fr = models.TextField(
        gettext_lazy("description (French)"),
        blank=True,
        help_text=gettext_lazy("Leave empty to show the English description."),
    )
    features_fr = models.TextField(
        gettext_lazy("features (French)"),
        blank=True,
        help_text=gettext_lazy(
            "One feature per line. Leave empty to show the English features."
        ),
    )
    includes = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="included_in",
        help_text=gettext_lazy(
            "License types whose features this one carries as well."
        ),
    )
    is_automatic = models.BooleanField(
        gettext_lazy("automatic"),
        default=False,
        help_text=gettext_lazy(
            "Every member has it without an assignment; it is never limited and "
            "never counted against a quantity."
        ),
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text=gettext_lazy("Order in which the catalog is listed.")
    )
    capabilities = models.ManyToManyField(
        Capability, blank=True, related_name="license_types"
    )
    regions = CountryField(
        multiple=True,
        blank=True,
        help_text=gettext_lazy(
            "Countries where the type is sold. Empty means every country."
        ),
    )
    requires_rollout = models.BooleanField(
        default=False,
        help_text=gettext_lazy(
            "Only organizations in the rollout below may use the type."
        ),
    )
    rollout_organizations = models.ManyToManyField(
        "accounts.Organization",
        blank=True,
        related_name="rollouts",
        help_text=gettext_lazy(
            "Organizations that may use the type while it is rolled out."
        ),
    )

    objects = SlugManager()

    class Meta:
        # By position, then the English name, so both languages list the
        # catalog in one order.
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name_fr"],
                condition=~Q(name_fr=""),
                name="licensetype_name_fr_unique",
                violation_error_message=gettext_lazy(
                    "Another license type already has this French name."
                ),
            ),
        ]

    def __str__(self):
        return self.display_name

    def natural_key(self):
        return (self.slug,)

    def clean(self):
        errors = {}
        if clash := self._french_name_clash():
            field = "name_fr" if self.name_fr else "name"
            errors[field] = _(
                "%(other)s already shows the name “%(name)s” in French. Give "
                "this type another French name."
            ) % {"other": clash.name, "name": self.name_fr or self.name}
        if self.is_automatic and self.pk and self.holdings.exists():
            holders = self.holdings.count()
            message = ngettext(
                "%(count)s organization holds %(license)s. Remove that holding "
                "before making it automatic.",
                "%(count)s organizations hold %(license)s. Remove those holdings "
                "before making it automatic.",
                holders,
            )
            errors["is_automatic"] = message % {
                "count": holders,
                "license": self.name,
            }
        if errors:
            raise ValidationError(errors)

    def _french_name_clash(self) -> "LicenseType | None":
        """Return another type that shows this type's French name, if any.

        A type without a French name shows its English name in French, so
        that name is taken in French too. The constraint on name_fr alone
        would let a French name repeat another type's English name.
        """
        others = LicenseType.objects.exclude(pk=self.pk)
        if self.name_fr:
            others = others.filter(
                Q(name_fr=self.name_fr) | Q(name_fr="", name=self.name_fr)
            )
        elif self.name:
            # Another type with this English name fails the unique check on
            # name, which reports it in its own words.
            others = others.filter(name_fr=self.name)
        else:
            return None
        return others.first()

    @property
    def display_name(self) -> str:
        """The name in the active language, English when no French is given."""
        return localized(self.name, self.name_fr)

    @property
    def display_summary(self) -> str:
        return localized(self.summary, self.summary_fr)

    @property
    def display_description(self) -> str:
        return localized(self.description, self.description_fr)

    @property
    def feature_list(self) -> list[str]:
        return _lines(self.features)

    @property
    def display_feature_list(self) -> list[str]:
        """The features in the active language, one per line of the field."""
        return _lines(localized(self.features, self.features_fr))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


# The largest integer PostgreSQL stores in an integer column. SQLite would
# store more; the same limit keeps both databases accepting the same values.
MAX_SEATS = 2_147_483_647


class HoldingQuerySet(models.QuerySet):
    def with_in_use(self):
        """Annotate `in_use`, the holding's assignments, counted per row.

        A correlated count reads only the holding's entries of the
        assignment_one_per_member index. A join with GROUP BY would instead
        group every assignment of the organization by all selected columns.
        """
        assignments = (
            Assignment.objects.filter(holding=OuterRef("pk"))
            .order_by()
            .values("holding")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return self.annotate(in_use=Coalesce(Subquery(assignments), 0))


class Holding(models.Model):
    """The seats of one license type that an organization bought.

    An empty quantity means unlimited. Seat counts are derived from the
    assignment rows and never stored, so they cannot drift from them.
    Automatic license types need no holding: every member has them.
    """

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="holdings"
    )
    license_type = models.ForeignKey(
        LicenseType, on_delete=models.PROTECT, related_name="holdings"
    )
    quantity = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_SEATS)],
        help_text=gettext_lazy("Seats bought. Leave empty for unlimited."),
    )
    low_seat_threshold = models.PositiveIntegerField(
        default=2,
        validators=[MaxValueValidator(MAX_SEATS)],
        help_text=gettext_lazy(
            "Warn administrators when this many seats or fewer remain."
        ),
    )

    objects = HoldingQuerySet.as_manager()

    class Meta:
        ordering = ["license_type__position", "license_type__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "license_type"],
                name="holding_one_per_organization_and_type",
            ),
        ]
        permissions = [
            ("manage_licenses", "Can assign and remove the organization's licenses"),
        ]

    def __str__(self):
        return _("%(license)s for %(organization)s") % {
            "license": self.license_type,
            "organization": self.organization,
        }

    # The seat figures below need the `in_use` annotation of with_in_use().

    @property
    def remaining(self) -> int | None:
        """Seats not in use, or None when the quantity is unlimited."""
        if self.quantity is None:
            return None
        return max(self.quantity - self.in_use, 0)

    @property
    def is_full(self) -> bool:
        return self.remaining == 0

    @property
    def is_low(self) -> bool:
        """Whether some seats remain, but no more than the warning threshold."""
        remaining = self.remaining
        return remaining is not None and 0 < remaining <= self.low_seat_threshold

    def clean(self):
        if self.license_type_id and self.license_type.is_automatic:
            message = _(
                "%(license)s is automatic: every member has it, so it needs no holding."
            )
            raise ValidationError(
                {"license_type": message % {"license": self.license_type}}
            )
        if self.pk and self.quantity is not None:
            in_use = self.assignments.count()
            if in_use > self.quantity:
                message = ngettext(
                    "%(in_use)s seat is in use; remove seats before lowering the "
                    "quantity to %(quantity)s.",
                    "%(in_use)s seats are in use; remove seats before lowering the "
                    "quantity to %(quantity)s.",
                    in_use,
                )
                raise ValidationError(
                    {
                        "quantity": message
                        % {"in_use": in_use, "quantity": self.quantity}
                    }
                )


def seat_alerts(holdings) -> dict[str, int]:
    """Count the holdings with no seat left and those with few (at or below
    their warning threshold). The holdings need `in_use` (with_in_use)."""
    full = low = 0
    for holding in holdings:
        full += holding.is_full
        low += holding.is_low
    return {"full": full, "low": low}


class Assignment(models.Model):
    """One seat of a holding, given to one member."""

    holding = models.ForeignKey(
        Holding, on_delete=models.CASCADE, related_name="assignments"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["holding", "member"], name="assignment_one_per_member"
            ),
        ]

    def __str__(self):
        return _("%(license)s for %(member)s") % {
            "license": self.holding.license_type,
            "member": self.member,
        }


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("History events are append-only and cannot be updated.")

    def delete(self):
        raise TypeError("History events are append-only and cannot be deleted.")


class Event(models.Model):
    """One change to an organization's licenses or members, never edited.

    Names and emails are copied into the row so the history still reads after
    a member or a license type is deleted. The only way rows disappear is the
    deletion of their organization, which takes its whole history with it.
    """

    class Action(models.TextChoices):
        ASSIGNED = "assigned", gettext_lazy("License assigned")
        REMOVED = "removed", gettext_lazy("License removed")
        QUANTITY_CHANGED = "quantity_changed", gettext_lazy("Quantity changed")
        HOLDING_ADDED = "holding_added", gettext_lazy("License type added")
        HOLDING_REMOVED = "holding_removed", gettext_lazy("License type removed")
        MEMBER_ADDED = "member_added", gettext_lazy("Member added")
        MEMBER_DEACTIVATED = "member_deactivated", gettext_lazy("Member deactivated")
        MEMBER_REACTIVATED = "member_reactivated", gettext_lazy("Member reactivated")
        ADMINISTRATOR_GRANTED = (
            "administrator_granted",
            gettext_lazy("Administrator role granted"),
        )
        ADMINISTRATOR_REVOKED = (
            "administrator_revoked",
            gettext_lazy("Administrator role revoked"),
        )

    class Source(models.TextChoices):
        PORTAL = "portal", gettext_lazy("Portal")
        ADMIN = "admin", gettext_lazy("Django admin")
        COMMAND = "command", gettext_lazy("Management command")

    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(max_length=30, choices=Action)
    source = models.CharField(max_length=20, choices=Source)
    license_type = models.ForeignKey(
        LicenseType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    license_name = models.CharField(max_length=100, blank=True)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    member_email = models.EmailField(blank=True)
    # Empty for changes made from the command line without a signed-in user.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_email = models.EmailField(blank=True)
    # Written in English by the services; display_detail translates it.
    detail = models.CharField(max_length=200, blank=True)
    # The holding's quantity before and after a quantity change, which the seat
    # usage chart reads; empty means unlimited, and other events leave both empty.
    quantity_before = models.PositiveIntegerField(null=True, blank=True)
    quantity_after = models.PositiveIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(
                fields=["organization", "-occurred_at"], name="event_organization_time"
            ),
            # The newest event of an organization keys the usage chart cache.
            models.Index(fields=["organization", "id"], name="event_organization_id"),
        ]

    def __str__(self):
        parts = [self.get_action_display(), self.license_name, self.member_email]
        return " · ".join(str(part) for part in parts if part)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("History events are append-only and cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("History events are append-only and cannot be deleted.")

    @property
    def display_detail(self) -> str:
        """The detail in the active language (licensing.details)."""
        return details.localize(self.detail)

    @property
    def display_license_name(self) -> str:
        """The recorded name, or the type's French name while French is active.

        Load `license_type` with the event (select_related), or reading it
        costs a query per event.
        """
        if not self.license_type_id or not is_french_active():
            return self.license_name
        return localized(self.license_name, self.license_type.name_fr)
