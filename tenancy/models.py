"""The municipality (市町村) that owns a deployment's areas, agencies, people, cases, calendar and
settings. Every row that carries cases has its key (tenancy.fields.TenantKey); PostgreSQL
row-level security keeps each municipality's rows to its own requests (tenancy/rls.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from . import scope


def check_digit(first_five: str) -> int:
    """The 検査数字 of a 全国地方公共団体コード (総務省): the digits weighted 6, 5, 4, 3, 2,
    summed, taken modulo 11, subtracted from 11, and the last digit of that kept."""
    total = sum(int(d) * w for d, w in zip(first_five, (6, 5, 4, 3, 2), strict=True))
    return (11 - total % 11) % 10


def validate_code(code: str) -> None:
    if len(code) == 6 and code.isdigit() and int(code[5]) != check_digit(code[:5]):
        raise ValidationError(
            "全国地方公共団体コードの検査数字（6桁目）が合いません（%(code)s）。",
            params={"code": code},
        )


class Municipality(models.Model):
    """One municipality on the deployment. Its calendar and deadlines are its own; the operator
    who manages municipalities reads none of their case data."""

    code = models.CharField(
        "全国地方公共団体コード",
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^\d{6}$", "6桁の数字で入力してください。"), validate_code],
        help_text="例: 252123（高島市）。検査数字を含む6桁。",
    )
    name = models.CharField("市町村名", max_length=40, unique=True)
    opens = models.TimeField("開庁時刻", null=True, blank=True, help_text="空欄なら既定値")
    closes = models.TimeField("閉庁時刻", null=True, blank=True, help_text="空欄なら既定値")
    ack_business_days = models.PositiveSmallIntegerField(
        "受理期限の既定値（開庁日数）",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="空欄ならシステムの既定値",
    )
    follow_up_business_days = models.PositiveSmallIntegerField(
        "経過報告期限の既定値（開庁日数）",
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="空欄ならシステムの既定値",
    )
    is_active = models.BooleanField("利用中", default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "市町村"
        constraints = [
            models.CheckConstraint(
                condition=Q(ack_business_days__isnull=True) | Q(ack_business_days__gte=1),
                name="municipality_ack_days_positive",
            ),
            models.CheckConstraint(
                condition=Q(follow_up_business_days__isnull=True)
                | Q(follow_up_business_days__gte=1),
                name="municipality_follow_up_days_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Defaults:
    """A municipality's opening hours and deadline defaults, the deployment's where it sets
    none."""

    opens: time
    closes: time
    ack_business_days: int
    follow_up_business_days: int


def defaults_of(municipality_id: int | None) -> Defaults:
    """Read once while the code works for the municipality (scope.using: a request, one
    municipality's sweep), so a page asks for its row at most once and never sees a stale
    one."""
    kept = scope.memo()
    key = f"defaults:{municipality_id}"
    if kept is not None and key in kept:
        found: Defaults = kept[key]
        return found
    row = (
        Municipality.objects.filter(pk=municipality_id)
        .values_list("opens", "closes", "ack_business_days", "follow_up_business_days")
        .first()
        if municipality_id
        else None
    )
    opens, closes, ack, follow_up = row or (None, None, None, None)
    found = Defaults(
        opens=opens or settings.BUSINESS_DAY_OPENS,
        closes=closes or settings.BUSINESS_DAY_ENDS,
        ack_business_days=ack or settings.ACK_BUSINESS_DAYS,
        follow_up_business_days=follow_up or settings.FOLLOW_UP_BUSINESS_DAYS,
    )
    if kept is not None:
        kept[key] = found
    return found


class Belonging(models.Model):
    """The municipality a user belongs to (one). Written when the user's first membership is,
    and checked by every later one; read by the request's scoping. Not a tenant table itself:
    a municipality's row security would otherwise hide from it that a user is another's."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="belonging",
        verbose_name="職員",
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name="市町村"
    )

    class Meta:
        verbose_name = verbose_name_plural = "職員の所属市町村"

    def __str__(self) -> str:
        return f"{self.user} → {self.municipality}"


class BelongsElsewhere(ValidationError):
    pass


def claim(user_id: int, municipality_id: int) -> None:
    """The user belongs to this municipality from now on, or already did; refused if they
    belong to another (one query, two the first time)."""
    belonging, _ = Belonging.objects.get_or_create(
        user_id=user_id, defaults={"municipality_id": municipality_id}
    )
    if belonging.municipality_id != municipality_id:
        raise BelongsElsewhere(
            "この職員は別の市町村に所属しています。1人の職員が所属できる市町村は1つです。"
        )
