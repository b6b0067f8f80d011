"""Areas, agencies, the people in them, the bodies that meet, and the office calendar.

All of it is data: another city loads its own districts and agencies from a file
(`manage.py seed_demo --file ...`).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from tenancy import scope
from tenancy.fields import TenantKey, TenantManyToManyField, fill_municipality
from tenancy.models import Belonging, claim, defaults_of
from tsumugi.lib import dates
from tsumugi.lib.appendonly import AppendOnly, AppendOnlyQuerySet

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser, User


class Field(models.Model):
    """A field of work (分野): 高齢, 障がい, 子ども, 生活困窮 …"""

    code = models.SlugField("コード", max_length=40, unique=True)
    name = models.CharField("分野", max_length=40, unique=True)
    order = models.PositiveSmallIntegerField("並び順", default=0)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = verbose_name_plural = "分野"

    def __str__(self) -> str:
        return self.name


class AreaQuerySet(models.QuerySet["Area"]):
    def districts(self) -> AreaQuerySet:
        return self.filter(layer=Area.Layer.DISTRICT)


class Area(models.Model):
    class Layer(models.IntegerChoices):
        CITY = 1, "第1層 市域"
        DISTRICT = 2, "第2層 中学校区域"

    municipality = TenantKey(parent="parent", db_index=False)
    code = models.SlugField("コード", max_length=40)
    name = models.CharField("名称", max_length=60)
    layer = models.PositiveSmallIntegerField("層", choices=Layer.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上位の区域",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    school_name = models.CharField("中学校", max_length=60, blank=True)
    order = models.PositiveSmallIntegerField("並び順", default=0)

    objects = AreaQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="区域の変更履歴", no_db_index="municipality")

    class Meta:
        ordering = ["layer", "order", "id"]
        verbose_name = verbose_name_plural = "区域"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"],
                name="area_unique_code",
                violation_error_message="同じコードの区域がすでにあります。",
            ),
            models.CheckConstraint(
                condition=(Q(layer=1) & Q(parent__isnull=True))
                | (Q(layer=2) & Q(parent__isnull=False)),
                name="area_layer_parent",
                violation_error_message="第2層の区域には上位の市域が必要です（第1層には不要です）。",
            ),
            models.UniqueConstraint(
                fields=["municipality", "parent", "name"], name="area_unique_name_in_parent"
            ),
            # A municipality is one 市域 (layer 1) with its 中学校区域 below it.
            models.UniqueConstraint(
                fields=["municipality"],
                condition=Q(layer=1),
                name="area_one_city_per_municipality",
                violation_error_message="この市町村の第1層（市域）はすでにあります。",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AgencyQuerySet(models.QuerySet["Agency"]):
    def active(self) -> AgencyQuerySet:
        return self.filter(is_active=True)


class Agency(models.Model):
    class Kind(models.TextChoices):
        DEPARTMENT = "department", "庁内（本庁の課・室）"
        BRANCH = "branch", "庁内（支所）"
        OUTSIDE = "outside", "庁外の機関"

    municipality = TenantKey(db_index=False)
    code = models.SlugField("コード", max_length=40)
    name = models.CharField("機関名", max_length=100)
    kind = models.CharField("種別", max_length=20, choices=Kind.choices)
    fields = TenantManyToManyField(
        Field, verbose_name="分野", blank=True, related_name="agencies", through="AgencyField"
    )
    districts = TenantManyToManyField(
        Area,
        verbose_name="担当区域",
        blank=True,
        related_name="agencies",
        limit_choices_to={"layer": Area.Layer.DISTRICT},
        through="AgencyDistrict",
    )
    is_coordination_office = models.BooleanField(
        "連携の調整役（くらし連携支援室など）",
        default=False,
        help_text="市全体の相談を見渡し、督促の最終段階を受け取ります。",
    )
    is_active = models.BooleanField("有効", default=True)
    email = models.EmailField("代表メール", blank=True)
    phone = models.CharField("電話", max_length=30, blank=True)
    # What a sender reads on the sheet form's card for this agency (issue 10, point 4).
    description = models.CharField(
        "どんな相談を受けるか",
        max_length=200,
        blank=True,
        help_text="シートの送付先を選ぶ画面に出ます。例: 65歳以上の方の介護・健康・権利擁護の相談",
    )
    hours = models.CharField(
        "受付時間", max_length=60, blank=True, help_text="例: 平日 8:30〜17:15"
    )
    on_duty = models.CharField(
        "当番・窓口担当",
        max_length=60,
        blank=True,
        help_text="いま窓口に立つ人や当番（任意）。例: 今週の当番 社会福祉士 山本",
    )
    ack_business_days = models.PositiveSmallIntegerField(
        "受理期限（開庁日数）", null=True, blank=True, help_text="空欄なら市の既定値"
    )
    follow_up_business_days = models.PositiveSmallIntegerField(
        "経過報告期限（開庁日数）", null=True, blank=True, help_text="空欄なら市の既定値"
    )

    objects = AgencyQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="機関の変更履歴", no_db_index="municipality")

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = verbose_name_plural = "機関"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"],
                name="agency_unique_code",
                violation_error_message="同じコードの機関がすでにあります。",
            ),
            models.UniqueConstraint(
                fields=["municipality", "name"],
                name="agency_unique_name",
                violation_error_message="同じ名前の機関がすでにあります。",
            ),
            models.CheckConstraint(
                condition=Q(ack_business_days__isnull=True) | Q(ack_business_days__gte=1),
                name="agency_ack_days_positive",
            ),
            models.CheckConstraint(
                condition=Q(follow_up_business_days__isnull=True)
                | Q(follow_up_business_days__gte=1),
                name="agency_follow_up_days_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def ack_days(self) -> int:
        return self.ack_business_days or defaults_of(self.municipality_id).ack_business_days

    def follow_up_days(self) -> int:
        return (
            self.follow_up_business_days
            or defaults_of(self.municipality_id).follow_up_business_days
        )


class AgencyField(models.Model):
    """One 分野 of an agency (Agency.fields). 分野 are national, so the row is the agency's
    municipality's. Table and columns are those Django's own join table had."""

    municipality = TenantKey(parent="agency", db_index=False)
    # Named (not "+"): the admin edits an agency's links as inline rows under these prefixes.
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="field_links")
    field = models.ForeignKey(Field, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "areas_agency_fields"
        verbose_name = verbose_name_plural = "機関の分野"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "agency", "field"], name="agency_field_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.field}"


class AgencyDistrict(models.Model):
    """One district an agency serves (Agency.districts)."""

    municipality = TenantKey(parent="agency", db_index=False)
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="district_links")
    area = models.ForeignKey(
        Area,
        on_delete=models.CASCADE,
        related_name="+",
        limit_choices_to={"layer": Area.Layer.DISTRICT},
    )

    class Meta:
        db_table = "areas_agency_districts"
        verbose_name = verbose_name_plural = "機関の担当区域"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "agency", "area"], name="agency_district_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.area}"


class Role(models.TextChoices):
    COUNTER = "counter", "受付"
    STAFF = "staff", "職員"
    SUPERVISOR = "supervisor", "責任者"
    COORDINATOR = "coordinator", "コーディネーター"
    ADMIN = "admin", "管理者"


# Roles that work on consultations and sheets. Admin manages rosters only and, by design,
# does not read case contents unless the same user also holds one of these.
CASE_ROLES = (Role.COUNTER, Role.STAFF, Role.SUPERVISOR, Role.COORDINATOR)


SELF_GRANT_REFUSAL = (
    "自分自身に、相談を扱う役割（受付・職員・責任者・コーディネーター）の所属や会議体の構成員を"
    "付けることはできません。別の管理者に依頼してください。"
)


def grants_self_case_access(
    actor: User | AnonymousUser | None,
    user_id: int | None,
    agency_id: int | None,
    role: str,
    is_active: bool,
    before: Membership | None,
) -> bool:
    """Would saving this membership give the acting admin access to case data? Admins manage
    rosters and do not read cases (DESIGN.md): they cannot add, activate or re-role a
    membership with a case role for themselves; another admin must do it, and the history
    records who did."""
    if actor is None or not actor.is_authenticated or user_id != actor.pk:
        return False
    if role not in CASE_ROLES or not is_active:
        return False
    already = (
        before is not None
        and (before.user_id, before.agency_id) == (user_id, agency_id)
        and before.is_active
        and before.role in CASE_ROLES
    )
    return not already


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True, agency__is_active=True, user__is_active=True)

    def of(self, user: User | AnonymousUser) -> MembershipQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.active().filter(user=user)


class Membership(models.Model):
    municipality = TenantKey(parent="agency", db_index=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="職員",
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    agency = models.ForeignKey(
        Agency, verbose_name="機関", on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField("役割", max_length=20, choices=Role.choices)
    position = models.CharField(
        "職種・立場", max_length=60, blank=True, help_text="保健師、生活支援コーディネーターなど"
    )
    is_active = models.BooleanField("有効", default=True)

    objects = MembershipQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="所属の変更履歴", no_db_index="municipality")

    class Meta:
        ordering = ["agency__name", "user__last_name", "user__first_name", "user__username"]
        verbose_name = verbose_name_plural = "所属"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "user", "agency", "role"],
                name="membership_unique_role",
                violation_error_message="同じ職員が同じ機関で同じ役割をすでに持っています。",
            ),
        ]

    def __str__(self) -> str:
        return f"{display_name(self.user)}（{self.agency} / {self.get_role_display()}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A user belongs to one municipality: the rosters of another cannot take them in.
        claim(self.user_id, fill_municipality(self))
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.user_id is not None and self.agency_id is not None and self.elsewhere():
            raise ValidationError(ELSEWHERE)

    def elsewhere(self) -> bool:
        """Does the user belong to another municipality?"""
        municipality_id = self.municipality_id or self.agency.municipality_id
        return (
            Belonging.objects.filter(user_id=self.user_id)
            .exclude(municipality_id=municipality_id)
            .exists()
        )


def users_here() -> models.QuerySet[Any]:
    """The users with a membership in the municipality the code works for (in a request, the
    signed-in user's): the users a city's admin may list, invite or reset. Users are global
    (one sign-in name space); their memberships say where they belong."""
    from django.contrib.auth import get_user_model

    current = scope.current_id()
    users = get_user_model().objects.all()
    if current is None:
        return users
    # and the accounts no roster has taken in yet (an invitation, single sign-on's first visit)
    return users.filter(Q(belonging__municipality_id=current) | Q(belonging__isnull=True))


ELSEWHERE = "この職員は別の市町村に所属しています。1人の職員が所属できる市町村は1つです。"


def municipality_of_user(user: AbstractBaseUser) -> int | None:
    """The municipality the user belongs to (one query), or None: the operator, or a user no
    roster has taken in yet."""
    found: int | None = (
        Belonging.objects.filter(user_id=user.pk).values_list("municipality_id", flat=True).first()
    )
    return found


def display_name(user: User) -> str:
    full = f"{getattr(user, 'last_name', '')} {getattr(user, 'first_name', '')}".strip()
    return full or user.get_username()


class Body(models.Model):
    """A body that meets: a district's くらし連携会議, city-level meetings, 支援会議 …"""

    class Kind(models.TextChoices):
        DISTRICT = "district", "くらし連携会議"
        CITY = "city", "地域生活つむぎあい会議"
        INTERNAL = "internal", "庁内連携つむぎあい会議"
        SUPPORT = "support", "支援会議（社会福祉法第106条の6）"
        # 多機関協働's plan meeting: unlike the 支援会議 it binds nobody to confidentiality, so
        # only cases whose 本人同意 covers its members may be discussed there.
        JUUSOU = "juusou", "重層的支援会議"
        SAFETY_NET = "safety_net", "セーフティネット連絡会"
        OTHER = "other", "その他"

    municipality = TenantKey(parent="area", db_index=False)
    code = models.SlugField("コード", max_length=40)
    name = models.CharField("会議体", max_length=100)
    kind = models.CharField("種別", max_length=20, choices=Kind.choices)
    area = models.ForeignKey(
        Area, verbose_name="区域", on_delete=models.PROTECT, related_name="bodies"
    )
    description = models.TextField("説明", blank=True)
    history = HistoricalRecords(verbose_name="会議体の変更履歴", no_db_index="municipality")

    class Meta:
        ordering = ["area__layer", "area__order", "kind", "name"]
        verbose_name = verbose_name_plural = "会議体"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"],
                name="body_unique_code",
                violation_error_message="同じコードの会議体がすでにあります。",
            ),
            models.UniqueConstraint(
                fields=["municipality", "name"],
                name="body_unique_name",
                violation_error_message="同じ名前の会議体がすでにあります。",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_confidential(self) -> bool:
        # 支援会議 members are bound to confidentiality by law, so cases may be shared there
        # without consent; everyone else sees masked cases.
        return self.kind == self.Kind.SUPPORT


class RosterEntry(models.Model):
    municipality = TenantKey(parent="body", db_index=False)
    body = models.ForeignKey(
        Body, verbose_name="会議体", on_delete=models.PROTECT, related_name="roster"
    )
    membership = models.ForeignKey(
        Membership, verbose_name="構成員", on_delete=models.PROTECT, related_name="roster_entries"
    )
    title = models.CharField(
        "会議での立場", max_length=60, blank=True, help_text="委員長、委員など"
    )
    history = HistoricalRecords(verbose_name="会議体の構成員の変更履歴", no_db_index="municipality")

    class Meta:
        ordering = ["body", "membership__agency__name"]
        verbose_name = verbose_name_plural = "会議体の構成員"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "body", "membership"],
                name="roster_unique_member",
                violation_error_message="この方はすでにこの会議体の構成員です。",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.body}: {self.membership}"


class ClosureQuerySet(models.QuerySet["Closure"]):
    def closed_dates(self) -> frozenset[date]:
        return frozenset(self.values_list("date", flat=True))


class Closure(models.Model):
    """A day the offices are closed beyond holidays and 12/29–1/3 (e.g. a disaster)."""

    municipality = TenantKey(db_index=False)
    date = models.DateField("閉庁日")
    reason = models.CharField("理由", max_length=100)

    objects = ClosureQuerySet.as_manager()
    history = HistoricalRecords(verbose_name="閉庁日の変更履歴", no_db_index="municipality")

    class Meta:
        ordering = ["date"]
        verbose_name = verbose_name_plural = "臨時の閉庁日"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "date"],
                name="closure_unique_date",
                violation_error_message="この日はすでに臨時の閉庁日です。",
            ),
        ]

    def __str__(self) -> str:
        return f"{dates.format_date(self.date)} {self.reason}"


class HandOverError(Exception):
    """A hand-over (人事異動) that cannot be done; the message is shown to the admin as is."""


class HandOverQuerySet(AppendOnlyQuerySet["HandOver"]):
    pass


class HandOver(AppendOnly):
    """人事異動: one member's open work in an agency handed to a successor (areas/handover.py).
    Append-only: the record of who moved what to whom, kept as written."""

    refusal = HandOverError
    change_refusal = "引継ぎの記録は変更できません。"
    delete_refusal = "引継ぎの記録は削除できません。"

    class Source(models.TextChoices):
        SCREEN = "screen", "画面"
        CSV = "csv", "CSV（一括）"

    municipality = TenantKey(parent="agency", db_index=False)
    agency = models.ForeignKey(
        Agency, verbose_name="機関", on_delete=models.PROTECT, related_name="hand_overs"
    )
    leaving_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="異動する職員",
        on_delete=models.PROTECT,
        related_name="+",
    )
    successor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="後任", on_delete=models.PROTECT, related_name="+"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="実施者", on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("日時")
    source = models.CharField("方法", max_length=10, choices=Source.choices)
    # {kind label: [item labels]}: sheet numbers, meetings and dates — never a resident's name.
    moved = models.JSONField("引き継いだもの", default=dict)
    total = models.PositiveIntegerField("件数")
    deactivated = models.BooleanField("異動する職員の所属を無効にした", default=False)

    objects = HandOverQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "人事異動の引継ぎ"
        indexes = [models.Index(fields=["agency", "-at"], name="handover_agency_at")]

    def __str__(self) -> str:
        return f"{self.agency} {display_name(self.leaving_user)} → {display_name(self.successor)}"
