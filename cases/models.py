"""Consultations (Case), the people concerned, issue tags, the timeline and the access log."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime
from string import ascii_uppercase
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import Exists, F, Q
from django.dispatch import Signal
from django.utils import timezone

from areas.models import Agency, Area, Body, Field
from areas.scope import scope_of
from tenancy.fields import TenantKey, TenantManyToManyField, fill_municipality
from tsumugi.lib.appendonly import AppendOnly, AppendOnlyQuerySet
from tsumugi.lib.dates import TOKYO, fiscal_year, local_date, wareki_fiscal_year
from tsumugi.lib.names import match_key
from tsumugi.lib.text import search_key

from . import hooks

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

    AnyUser = User | AnonymousUser


class CaseError(Exception):
    """An illegal move on a case; the message is shown to the user as is."""


class IssueTag(models.Model):
    municipality = TenantKey(db_index=False)
    code = models.SlugField("コード", max_length=40)
    name = models.CharField("課題", max_length=40)
    field = models.ForeignKey(
        Field, verbose_name="分野", on_delete=models.PROTECT, related_name="tags"
    )
    order = models.PositiveSmallIntegerField("並び順", default=0)
    is_active = models.BooleanField("有効", default=True)

    class Meta:
        ordering = ["field__order", "order", "id"]
        verbose_name = verbose_name_plural = "課題タグ"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"],
                name="issue_tag_unique_code",
                violation_error_message="同じコードの課題がすでにあります。",
            ),
            models.UniqueConstraint(
                fields=["municipality", "name"],
                name="issue_tag_unique_name",
                violation_error_message="同じ名前の課題がすでにあります。",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    WINDOW = "window", "窓口"
    PHONE = "phone", "電話"
    VISIT = "visit", "訪問"
    OUTREACH = "outreach", "出前相談"
    MINSEI = "minsei", "民生委員経由"
    AGENCY = "agency", "関係機関から"
    OTHER = "other", "その他"


class Basis(models.TextChoices):
    CONSENT = "consent", "本人同意"
    SUPPORT_MEETING = "support_meeting", "支援会議（社会福祉法第106条の6）"
    EMERGENCY = "emergency", "緊急（生命・身体の保護）"
    NONE = "none", "同意なし（匿名でのみ共有）"


class SheetLinks(Protocol):
    """What the case rules need to know about the sheets issued from a case. `sheets` sits above
    `cases` in the layers contract (.importlinter), so instead of cases importing it, the sheets
    app hands an implementation over at start-up (SheetsConfig.ready → provide_sheet_links).
    Each method gives a condition on the outer case (OuterRef("pk"))."""

    def to_or_from(self, agency_ids: Collection[int], *, named: bool = False) -> Exists:
        """A sheet of the case sent to or from one of these agencies (named=True: only sheets
        that carry personal details, i.e. not anonymised)."""
        ...

    def any_open(self) -> Exists:
        """A sheet of the case that is still open (sent or acknowledged)."""
        ...

    def agencies_of(self, case_id: int) -> frozenset[int]:
        """Every agency that sent or received a sheet of this case (one query)."""
        ...


_sheet_links: SheetLinks | None = None


def provide_sheet_links(links: SheetLinks) -> None:
    global _sheet_links
    _sheet_links = links


def sheet_links() -> SheetLinks:
    if _sheet_links is None:
        raise ImproperlyConfigured("the sheets app is not installed: cases need its SheetLinks")
    return _sheet_links


# A write changed what the monthly summaries count in these (local month, district) slices.
# cases/summary.py (connected in CasesConfig.ready) rewrites them, synchronously, in the
# writer's transaction; the signal keeps models.py free of an import of summary.py.
counted_slices_changed = Signal()


def slice_of(received_at: datetime, district_id: int) -> tuple[date, int]:
    return (received_at.astimezone(TOKYO).date().replace(day=1), district_id)


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: AnyUser) -> CaseQuerySet:
        """The one choke point: cases of my agencies, cases of sheets to or from my agencies,
        and, for coordinators, the cases of their districts."""
        scope = scope_of(user)
        if not scope.agency_ids:
            return self.none()
        return self.filter(
            Q(agency_id__in=scope.agency_ids)
            | Q(district_id__in=scope.coordinator_district_ids)
            | sheet_links().to_or_from(scope.agency_ids)
        )

    def open(self) -> CaseQuerySet:
        return self.filter(status=Case.Status.OPEN)

    def listed_for(self, user: AnyUser) -> CaseQuerySet:
        """The case list: my agencies' cases and, for coordinators, their districts' cases.

        Both clauses are clauses of visible_to, so this is a subset of it by construction
        (tests check it); it leaves out visible_to's EXISTS over sheets, which would turn the
        list's COUNT into a scan of every case."""
        scope = scope_of(user)
        if not scope.agency_ids:
            return self.none()
        mine = Q(agency_id__in=scope.agency_ids)
        if scope.coordinator_district_ids:
            mine |= Q(district_id__in=scope.coordinator_district_ids)
        return self.filter(mine)

    def with_holding_flag(self, cutoff: datetime) -> CaseQuerySet:
        """Annotate `is_holding` (抱え込み): open, issues in two or more fields, received before
        `cutoff` (BusinessCalendar.quiet_cutoff) and never a sheet issued."""
        return self.annotate(
            is_holding=models.ExpressionWrapper(
                holding_condition(cutoff), output_field=models.BooleanField()
            )
        )

    def holding(self, cutoff: datetime) -> CaseQuerySet:
        return self.filter(holding_condition(cutoff))

    def with_personal_visibility(self, user: AnyUser, now: datetime | None = None) -> CaseQuerySet:
        """Annotate `shows_people` and `shows_summary` from the one rule (cases/privacy.py)."""
        from .privacy import annotate, viewer_of

        return cast(CaseQuerySet, annotate(self, viewer_of(user, now)))


def holding_condition(cutoff: datetime) -> Q:
    """抱え込み: open, issues in two or more fields, received before `cutoff`
    (BusinessCalendar.quiet_cutoff), and never a sheet issued (index case_holding)."""
    return Q(status=Case.Status.OPEN, field_count__gte=2, received_at__lt=cutoff, has_sheets=False)


class CaseCounter(models.Model):
    """The last case serial a municipality issued in a fiscal year; incremented under a row
    lock. Each municipality counts its own: 2026-00042 is unique per municipality."""

    municipality = TenantKey(db_index=False)
    fiscal_year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year"], name="case_counter_unique_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year}: {self.last}"


def next_case_number(municipality_id: int, year: int) -> tuple[int, str]:
    counter = CaseCounter._base_manager.filter(municipality_id=municipality_id, fiscal_year=year)
    with transaction.atomic():
        CaseCounter.objects.get_or_create(municipality_id=municipality_id, fiscal_year=year)
        # An UPDATE takes the row lock, so two counters never hand out the same serial.
        counter.update(last=F("last") + 1)
        serial = counter.get().last
    return serial, f"{year}-{serial:05d}"


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "対応中"
        CLOSED = "closed", "終結"

    municipality = TenantKey(parent="agency", db_index=False)
    number = models.CharField("相談番号", max_length=20, editable=False)
    fiscal_year = models.PositiveSmallIntegerField("年度", editable=False)
    serial = models.PositiveIntegerField("連番", editable=False)
    # No index of their own for agency and district: case_agency_status and
    # case_district_received lead with them (Meta.indexes).
    agency = models.ForeignKey(
        Agency,
        verbose_name="受付機関",
        on_delete=models.PROTECT,
        related_name="cases",
        db_index=False,
    )
    received_at = models.DateTimeField("受付日時")
    channel = models.CharField("受付方法", max_length=20, choices=Channel.choices)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="受付者",
        on_delete=models.PROTECT,
        related_name="received_cases",
    )
    district = models.ForeignKey(
        Area,
        verbose_name="地区",
        on_delete=models.PROTECT,
        related_name="cases",
        limit_choices_to={"layer": Area.Layer.DISTRICT},
        db_index=False,
    )
    tags = TenantManyToManyField(
        IssueTag, verbose_name="課題", related_name="cases", blank=True, through="CaseTag"
    )
    summary = models.TextField("相談の概要")
    shared_summary = models.TextField(
        "共有用の概要",
        blank=True,
        help_text="氏名・ふりがな・生まれ年・連絡先を書かずに、共有してよい内容だけを書きます。"
        "同意のない機関（匿名シート、会議の伏せ字）にはこの文だけが見えます。",
    )
    basis = models.CharField("情報共有の根拠", max_length=20, choices=Basis.choices)
    # The 支援会議 (社会福祉法第106条の6) whose registered members may see the case when the
    # basis is 支援会議: one named body, never "any 支援会議".
    support_body = models.ForeignKey(
        Body,
        verbose_name="支援会議",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="support_cases",
        limit_choices_to={"kind": Body.Kind.SUPPORT},
    )
    status = models.CharField("状態", max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField("終結日時", null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="終結者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    close_note = models.TextField("終結の理由", blank=True)
    # Number of distinct fields among the tags, kept on the row so the 抱え込み flag and the
    # figures need no join over tags.
    field_count = models.PositiveSmallIntegerField("分野の数", default=0, editable=False)
    # A sheet was ever issued from the case (抱え込み asks "never"). Set by sheets.models
    # Sheet._create in the transaction that creates the case's first sheet, under the case's row
    # lock; never unset, as sheets are never deleted (PROTECT), so it says exactly what
    # `EXISTS (a sheet of the case)` said, withdrawn and redirected sheets included, without
    # probing the sheet index for every open case (the 抱え込み count: 422 ms on 1,000,000 sheets).
    has_sheets = models.BooleanField("シートあり", default=False, editable=False)
    last_activity_at = models.DateTimeField("最終活動日時", editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = verbose_name_plural = "相談"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "number"],
                name="case_unique_number",
                violation_error_message="同じ相談番号がすでにあります。",
            ),
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year", "serial"], name="case_unique_serial"
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | Q(status="closed", closed_at__isnull=False),
                name="case_closed_has_time",
            ),
        ]
        indexes = [
            # What each index serves (and, leading with its first column, the FK's own index):
            # my agencies' case list and dashboard, newest first (listed_for, visible_to).
            models.Index(fields=["agency", "status", "-received_at"], name="case_agency_status"),
            # a coordinator's district list; the district's cases by month (summary refresh,
            # 地区カルテ, insight ranges that do not start and end with a month).
            models.Index(fields=["district", "received_at"], name="case_district_received"),
            # the city-wide case list and search results, newest first.
            models.Index(fields=["received_at"], name="case_received"),
            # Failure modes (insight/failures.py): the open multi-field cases of a district
            # (抱え込み) and the district/agency of each open sheet's case, read from narrow index
            # entries (index-only scans on PostgreSQL). The consultation figures read the monthly
            # summaries (CaseMonth and friends below) instead of a covering index. Both carry
            # the municipality key: row security's condition reads it on every joined case.
            models.Index(
                fields=["district", "status"],
                name="case_insight_district",
                include=["id", "field_count", "received_at", "agency", "municipality"],
            ),
            models.Index(
                fields=["id"],
                name="case_insight_id",
                include=["district", "agency", "status", "last_activity_at", "municipality"],
            ),
            # 丸投げ (insight/failures.py): the open cases active since a cut-off, whose open
            # sheets are taken off each sender's count of open sheets (sheets.OpenSheetCount).
            models.Index(
                fields=["last_activity_at"],
                name="case_open_activity",
                include=["id", "district", "municipality"],
                condition=Q(status="open"),
            ),
            # 抱え込み (holding): open multi-field cases that never had a sheet, by the day they
            # were received; partial (the candidates only) and covering, so the count is
            # index-only (17,000 held cases of 500,000: 4 ms; with the heap 40 ms).
            models.Index(
                fields=["received_at"],
                name="case_holding",
                include=["id", "agency", "district", "municipality"],
                condition=Q(status="open", has_sheets=False, field_count__gte=2),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def fiscal_year_label(self) -> str:
        return wareki_fiscal_year(self.fiscal_year)

    def assign_number(self) -> None:
        self.fiscal_year = fiscal_year(local_date(self.received_at))
        self.serial, self.number = next_case_number(fill_municipality(self), self.fiscal_year)

    def refresh_field_count(self) -> None:
        self.field_count = self.tags.values("field").distinct().count()
        Case.objects.filter(pk=self.pk).update(field_count=self.field_count)

    def covers(self, agency: Agency, now: datetime | None = None) -> bool:
        """Whether the legal basis names `agency` for this case's personal details (the one
        rule, cases/privacy.py)."""
        from .privacy import covers

        return covers(self, agency, now)

    def shows_personal_details_to(self, user: AnyUser, now: datetime | None = None) -> bool:
        """Names, kana and birth years of this case's people, for `user` (cases/privacy.py)."""
        from .privacy import decide, viewer_of

        return decide(self, viewer_of(user, now)).shows_people

    def has_open_sheets(self) -> bool:
        return Case.objects.filter(pk=self.pk).filter(sheet_links().any_open()).exists()

    def close(self, *, by: User, note: str, now: datetime | None = None) -> None:
        now = now or timezone.now()
        if self.agency_id not in scope_of(by).agency_ids:
            # A receiving agency sees the case through its sheet; closing it is not its move.
            raise CaseError("相談の終結は、受け付けた機関の職員だけが行えます。")
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=self.pk)
            if case.status != Case.Status.OPEN:
                raise CaseError("この相談はすでに終結しています。")
            if case.has_open_sheets():
                raise CaseError(
                    "この相談から出したつむぎあいシートがまだ終わっていません。"
                    "相手機関の終結または取下げの後に終結できます（丸投げを防ぐため）。"
                )
            for reason in hooks.close_refusals(case):
                raise CaseError(reason)
            if not note.strip():
                raise CaseError("終結の理由を書いてください。")
            Case.objects.filter(pk=self.pk).update(
                status=Case.Status.CLOSED,
                closed_at=now,
                closed_by=by,
                close_note=note,
                last_activity_at=now,
                version=F("version") + 1,
            )
            Event.objects.create(
                case=self,
                kind=Event.Kind.CASE_CLOSED,
                actor=by,
                agency=self.agency,
                at=now,
                text=note,
            )
        self.refresh_from_db()

    def edit(
        self,
        *,
        by: User,
        expected_version: int,
        values: dict[str, Any],
        tags: Iterable[IssueTag],
        new_people: Iterable[dict[str, Any]] = (),
        now: datetime | None = None,
    ) -> list[str]:
        """Save an edit made on a form loaded at `expected_version`; refuse it if someone else
        saved in between (no lost update). People are only added, never removed (nothing is
        deleted). Consent is not edited here: it is recorded and withdrawn as Consent rows
        (cases/privacy.py), each on the timeline. Returns the labels of the fields that changed."""
        now = now or timezone.now()
        with transaction.atomic():
            # NO KEY, as a sheet's move (sheets.models Sheet._lock): moving the case to another
            # district rewrites its sheets' rows, and a writer holding one of them may be waiting
            # to check its key to this case (a timeline entry), which this lock lets through.
            locked = Case.objects.select_for_update(no_key=True).get(pk=self.pk)
            if locked.version != expected_version:
                raise CaseError(
                    "この相談は、あなたが画面を開いた後に他の人が更新しました。"
                    "入力内容は残してあります。最新の内容を確認してから、もう一度保存してください。"
                )
            if locked.status != Case.Status.OPEN:
                raise CaseError("終結した相談は修正できません。")
            changed = [
                str(cast("models.Field[Any, Any]", Case._meta.get_field(name)).verbose_name)
                for name, value in values.items()
                if getattr(locked, name) != value
            ]
            new_tags = sorted(t.pk for t in tags)
            if sorted(locked.tags.values_list("pk", flat=True)) != new_tags:
                changed.append("課題")
            # The earlier summary and people are kept, readable by those who may see them.
            CaseRevision.keep(locked, by=by, now=now)
            Case.objects.filter(pk=self.pk).update(
                **values, version=F("version") + 1, last_activity_at=now
            )
            locked.tags.set(new_tags)
            added = [
                Person.objects.create(
                    case=locked,
                    resident=Resident.objects.create(
                        municipality_id=locked.municipality_id, created_by=by, created_at=now
                    ),
                    **{k: v for k, v in person.items() if k != "same_as"},
                )
                for person in new_people
            ]
            if added:
                changed.append(f"関係する人（{len(added)}人を追加）")
            locked.refresh_field_count()
            # the insight summaries of the slice the case was in and the one it is in now
            after = Case.objects.values_list("received_at", "district_id").get(pk=self.pk)
            counted_slices_changed.send(
                Case,
                keys=[slice_of(locked.received_at, locked.district_id), slice_of(*after)],
                # the case's sheets follow it to its district (sheets/summary.py)
                case_id=self.pk,
                districts=(locked.district_id, after[1]),
            )
            Event.objects.create(
                case=self,
                kind=Event.Kind.CASE_EDITED,
                actor=by,
                agency=locked.agency,
                at=now,
                text="修正した項目: " + ("、".join(changed) or "なし"),
            )
        self.refresh_from_db()
        return changed

    def touch(self, now: datetime) -> None:
        Case.objects.filter(pk=self.pk).update(last_activity_at=now)


def alias(index: int) -> str:
    """How the index-th person of a case is named where names may not be shown: "Aさん"."""
    return ascii_uppercase[index % 26] + ("" if index < 26 else str(index // 26)) + "さん"


def masked_people(people: Iterable[Person], year: int | None = None) -> list[str]:
    """ "Aさん（80代・母）" for each person: no name, kana or birth year."""
    year = year or timezone.localdate().year
    labels = []
    for i, person in enumerate(people):
        details = "・".join(x for x in (person.age_band(year), person.relation) if x)
        labels.append(f"{alias(i)}（{details}）")
    return labels


class CaseTag(models.Model):
    """One 課題 of a case (Case.tags); table and columns are those of Django's own join table."""

    municipality = TenantKey(parent="case", db_index=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    issuetag = models.ForeignKey(IssueTag, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "cases_case_tags"
        verbose_name = verbose_name_plural = "相談の課題"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "case", "issuetag"], name="case_tag_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.issuetag}"


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", "書面"
    ORAL = "oral", "口頭"
    PROXY = "proxy", "代理人"


class Consent(models.Model):
    """One 本人同意 as obtained: by whom, when, how, for which agencies and kinds of
    information, until when. Withdrawal is recorded on the row (never deleted); consent
    obtained again later is a new row that takes effect from then."""

    municipality = TenantKey(parent="case", db_index=False)
    case = models.ForeignKey(
        Case, verbose_name="相談", on_delete=models.PROTECT, related_name="consents"
    )
    obtained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="同意を得た職員",
        on_delete=models.PROTECT,
        related_name="+",
    )
    obtained_at = models.DateTimeField("同意を得た日時")
    method = models.CharField("同意の方法", max_length=10, choices=ConsentMethod.choices)
    agencies = TenantManyToManyField(
        Agency, verbose_name="共有してよい機関", related_name="consents", through="ConsentAgency"
    )
    # The kinds of information (cases/privacy.py Info); one column each so the rule's SQL
    # twin is a plain filter on both databases.
    covers_identity = models.BooleanField("氏名・連絡先", default=True)
    covers_household = models.BooleanField("世帯の状況", default=True)
    covers_consultation = models.BooleanField("相談内容", default=True)
    covers_health = models.BooleanField("心身の状況", default=True)
    expires_on = models.DateField("有効期限", null=True, blank=True)
    note = models.TextField("同意の範囲のメモ", blank=True)
    withdrawn_at = models.DateTimeField("撤回日時", null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤回を記録した職員",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    withdrawal_note = models.TextField("撤回の内容", blank=True)

    class Meta:
        ordering = ["obtained_at", "id"]
        verbose_name = verbose_name_plural = "本人同意"
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="consent_withdrawal_has_who",
            ),
        ]
        indexes = [models.Index(fields=["case", "obtained_at"], name="consent_case")]

    def __str__(self) -> str:
        return f"{self.case} {self.get_method_display()} {self.obtained_at:%Y-%m-%d}"

    def kind_labels(self) -> list[str]:
        from .privacy import Info, consent_kinds

        order = list(Info.values)
        return [Info(k).label for k in sorted(consent_kinds(self), key=order.index)]

    def in_force(self, now: datetime | None = None) -> bool:
        from .privacy import consent_in_force

        return consent_in_force(
            self.obtained_at, self.expires_on, self.withdrawn_at, now or timezone.now()
        )


class ConsentAgency(models.Model):
    """One agency a consent names (Consent.agencies)."""

    municipality = TenantKey(parent="consent", db_index=False)
    consent = models.ForeignKey(Consent, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")

    class Meta:
        db_table = "cases_consent_agencies"
        verbose_name = verbose_name_plural = "同意の共有先"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "consent", "agency"], name="consent_agency_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.consent}: {self.agency}"


class Household(models.Model):
    """世帯: the residents who live together. A resident is in at most one household."""

    municipality = TenantKey(db_index=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "世帯"

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"H-{self.pk:06d}"


class Resident(models.Model):
    """One real person across consultations: the Person rows (one per case) that are about
    them. Every person gets a resident when the case is taken in (a new one, or the one the
    counter recognised), so having a resident says nothing about records elsewhere. Nothing
    about the person is stored here: names stay on the Person rows, shown through the rule."""

    municipality = TenantKey(parent="household", db_index=False)
    household = models.ForeignKey(
        Household,
        verbose_name="世帯",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="residents",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("登録日時", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "住民"

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"R-{self.pk:06d}"


class Person(models.Model):
    """Someone concerned by the consultation; minimal fields on purpose."""

    municipality = TenantKey(parent="case", db_index=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="people")
    resident = models.ForeignKey(
        Resident,
        verbose_name="住民",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    name = models.CharField("氏名", max_length=60)
    kana = models.CharField("ふりがな", max_length=60, blank=True)
    birth_year = models.PositiveSmallIntegerField("生まれ年（西暦）", null=True, blank=True)
    relation = models.CharField(
        "続柄・立場", max_length=30, blank=True, help_text="本人、母、長男など"
    )
    is_primary = models.BooleanField("相談の中心となる人", default=False)
    # Searched with `contains`, which no B-tree serves: on PostgreSQL the trigram index of
    # migration 0004 does (person_search_key_trgm); SQLite scans, at the sizes it is used for.
    search_key = models.CharField(max_length=130, editable=False)
    # Same name, reading and birth year, folded (tsumugi.lib.names): recognising a resident at
    # intake and the 名寄せ list are one lookup of this index. "" when one of the three is
    # missing (matches nothing).
    match_key = models.CharField(max_length=64, blank=True, editable=False, db_index=True)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = verbose_name_plural = "関係者"

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_key = search_key(f"{self.name}|{self.kana}")
        self.match_key = match_key(self.name, self.kana, self.birth_year)
        super().save(*args, **kwargs)

    def age_band(self, today_year: int) -> str:
        if not self.birth_year:
            return "年齢不明"
        return f"{(today_year - self.birth_year) // 10 * 10}代"


class EventQuerySet(AppendOnlyQuerySet["Event"]):
    pass


class Event(AppendOnly):
    """One immutable line of a case's timeline: every move of the case and of its sheets."""

    refusal = CaseError

    class Kind(models.TextChoices):
        CASE_OPENED = "case_opened", "相談受付"
        CASE_EDITED = "case_edited", "相談内容の修正"
        CASE_CLOSED = "case_closed", "相談の終結"
        SHEET_SENT = "sheet_sent", "シート送付"
        ACKNOWLEDGED = "acknowledged", "受理"
        PROGRESS = "progress", "経過報告"
        REDIRECTED = "redirected", "転送（つなぎ直し）"
        WITHDRAWN = "withdrawn", "取下げ"
        CLOSED = "closed", "終結"
        REMINDER = "reminder", "督促"
        ESCALATION = "escalation", "督促（上位へ）"
        NOTE = "note", "メモ"
        CONSENT_RECORDED = "consent_recorded", "同意の記録"
        CONSENT_WITHDRAWN = "consent_withdrawn", "同意の撤回"
        RESIDENT_LINKED = "resident_linked", "同じ人として結ぶ"
        RESIDENT_UNLINKED = "resident_unlinked", "同じ人の結びを解く"

    # No FK indexes of their own: event_case_at and event_sheet_at lead with case and sheet,
    # and the (municipality_id, id) key (tenancy/rls.py) with the municipality.
    municipality = TenantKey(parent="case", db_index=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events", db_index=False)
    sheet = models.ForeignKey(
        "sheets.Sheet",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
    )
    kind = models.CharField("種類", max_length=20, choices=Kind.choices)
    # actor and agency: partial indexes below (most lines are written by nobody in particular:
    # the sweep's 140,000 timeline lines per 100,000 due sheets have neither).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="実施者",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    agency = models.ForeignKey(
        Agency,
        verbose_name="機関",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    at = models.DateTimeField("日時")
    text = models.TextField("内容", blank=True)
    # The resident a 結ぶ/解く line is about: the timeline shows such a line only to a viewer
    # who already knows of that resident's other consultations (cases/residents.py).
    resident = models.ForeignKey(
        Resident,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = verbose_name_plural = "経過記録"
        indexes = [
            # a case's timeline, in order
            models.Index(fields=["case", "at"], name="event_case_at"),
            # a sheet's own lines (sheet page, last activity), in order
            models.Index(fields=["sheet", "at"], name="event_sheet_at"),
            # what protects a person or an agency from deletion (PROTECT), and nothing else:
            # only the lines that name one are in them
            models.Index(fields=["actor"], name="event_actor", condition=Q(actor__isnull=False)),
            models.Index(fields=["agency"], name="event_agency", condition=Q(agency__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_kind_display()}"


class AccessQuerySet(AppendOnlyQuerySet["Access"]):
    pass


class Access(AppendOnly):
    """Who read which case, when, from where (閲覧記録). Written only by `cases.audit`."""

    refusal = CaseError
    change_refusal = "閲覧記録は変更できません。"
    delete_refusal = "閲覧記録は削除できません。"

    # No FK index of its own: access_case_at (a case's 閲覧記録, newest first) leads with it.
    municipality = TenantKey(parent="case", db_index=False)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="accesses", db_index=False
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    what = models.CharField("閲覧した画面", max_length=60)
    at = models.DateTimeField("日時", default=timezone.now)
    ip = models.GenericIPAddressField("IPアドレス", null=True, blank=True)

    objects = AccessQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "閲覧記録"
        indexes = [models.Index(fields=["case", "-at"], name="access_case_at")]

    def __str__(self) -> str:
        return f"{self.case} {self.user} {self.what}"


# --- monthly summaries for insight (refreshed by cases/summary.py) ----------------------------


class CaseMonth(models.Model):
    """Cases received per local (Asia/Tokyo) month × district × receiving agency × channel ×
    multi-field: what the consultation figures count, in a few thousand rows a year instead of
    a scan of every case. Derived data: cases/summary.py rewrites a (month, district) slice in
    the same transaction as any write that changes what it counts."""

    municipality = TenantKey(parent="district", db_index=False)
    month = models.DateField()
    district = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", db_index=False)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    multi_field = models.BooleanField()
    n = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "month", "district", "agency", "channel", "multi_field"],
                name="case_month_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.district_id}/{self.agency_id}/{self.channel}: {self.n}"


class CaseFieldMonth(models.Model):
    """Cases per month × district × agency × issue field (a case counts once in a field)."""

    municipality = TenantKey(parent="district", db_index=False)
    month = models.DateField()
    district = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", db_index=False)
    field = models.ForeignKey(Field, on_delete=models.CASCADE, related_name="+", db_index=False)
    n = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "month", "district", "agency", "field"],
                name="case_field_month_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.district_id}/{self.agency_id}/{self.field_id}: {self.n}"


class CaseTagMonth(models.Model):
    """Cases per month × district × agency × issue tag."""

    municipality = TenantKey(parent="district", db_index=False)
    month = models.DateField()
    district = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+", db_index=False)
    tag = models.ForeignKey(IssueTag, on_delete=models.CASCADE, related_name="+", db_index=False)
    n = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "month", "district", "agency", "tag"],
                name="case_tag_month_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.district_id}/{self.agency_id}/{self.tag_id}: {self.n}"


class CaseRevision(models.Model):
    """What a case said before an edit: its summary, 共有用の概要 and people as they were.
    Shown only through the view object's decision (full summary and people only to viewers the
    basis names; see cases/privacy.py), never edited."""

    municipality = TenantKey(parent="case", db_index=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField("版")
    summary = models.TextField("相談の概要（修正前）")
    shared_summary = models.TextField("共有用の概要（修正前）", blank=True)
    people = models.JSONField("関係する人（修正前）", default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField("修正した日時")

    class Meta:
        ordering = ["case", "-number"]
        verbose_name = verbose_name_plural = "相談の修正前の版"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "case", "number"], name="one_case_revision_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case} 第{self.number}版"

    @classmethod
    def keep(cls, case: Case, *, by: User, now: datetime) -> CaseRevision:
        people = [
            {
                "name": p.name,
                "kana": p.kana,
                "birth_year": p.birth_year,
                "relation": p.relation,
                "is_primary": p.is_primary,
            }
            for p in case.people.order_by("-is_primary", "id")
        ]
        return cls.objects.create(
            case=case,
            number=cls.objects.filter(case=case).count() + 1,
            summary=case.summary,
            shared_summary=case.shared_summary,
            people=people,
            created_by=by,
            at=now,
        )


class MatchDismissal(models.Model):
    """The くらし連携支援室 looked at the people sharing a match key and found them to be
    different people (or left them apart on purpose). The 名寄せ list leaves the key out until
    a person with that key is registered after `up_to` (a Person id), so a dismissed group does
    not come back unless there is something new to look at."""

    municipality = TenantKey(parent="agency", db_index=False)
    match_key = models.CharField(max_length=64, db_index=True)
    up_to = models.BigIntegerField("確認した最後の関係者")
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField("日時")
    note = models.TextField("メモ", blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "名寄せ候補の見送り"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} 見送り"
