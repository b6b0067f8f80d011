"""Filters of the insight pages: fiscal year or a date range, district, agency."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from django import forms

from areas.models import Agency, Area
from tsumugi.lib.dates import format_fiscal_year
from tsumugi.lib.forms import JapaneseDateField

from .figures import Filters, Period, current_fiscal_year

MAX_PERIOD_DAYS = 3 * 366


def year_choices() -> list[tuple[int, str]]:
    this = current_fiscal_year()
    return [(y, format_fiscal_year(y)) for y in range(this, this - 6, -1)]


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False, choices=year_choices)

    def year_or_default(self) -> int:
        if self.is_bound and self.is_valid() and self.cleaned_data.get("year"):
            return int(self.cleaned_data["year"])
        return current_fiscal_year()


class FiguresFilterForm(YearForm):
    start = JapaneseDateField(
        label="期間の初日", required=False, help_text="期間を指定すると年度より優先します。"
    )
    end = JapaneseDateField(label="期間の末日", required=False)
    district = forms.ModelChoiceField(
        label="地区", queryset=Area.objects.districts(), required=False, empty_label="すべての地区"
    )
    agency = forms.ModelChoiceField(
        label="機関",
        queryset=Agency.objects.all(),
        required=False,
        empty_label="すべての機関",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None):
            raise forms.ValidationError("期間は初日と末日の両方を指定してください。")
        if start and end:
            if end < start:
                raise forms.ValidationError("期間の末日は初日より後の日にしてください。")
            if (end - start).days > MAX_PERIOD_DAYS:
                raise forms.ValidationError("期間は3年以内で指定してください。")
        return data

    def filters(self) -> Filters:
        """The filters to apply; on bad input, the current fiscal year with no narrowing."""
        if not (self.is_bound and self.is_valid()):
            return Filters(Period.fiscal(current_fiscal_year()))
        data = self.cleaned_data
        start: date | None = data.get("start")
        end: date | None = data.get("end")
        period = Period(start, end) if start and end else Period.fiscal(self.year_or_default())
        district, agency = data.get("district"), data.get("agency")
        return Filters(
            period,
            district_id=district.pk if district else None,
            agency_id=agency.pk if agency else None,
        )


TARGET_MAX = 1_000_000


def target_year_choices() -> list[tuple[int, str]]:
    # Targets are set before the year starts: next year is on the list too.
    this = current_fiscal_year()
    return [(y, format_fiscal_year(y)) for y in range(this + 1, this - 6, -1)]


class TargetYearForm(YearForm):
    year = forms.TypedChoiceField(
        label="年度", coerce=int, required=False, choices=target_year_choices
    )


class TargetField(forms.IntegerField):
    """An integer as people type it: full-width digits and thousands separators ("１，２００")."""

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str):
            value = unicodedata.normalize("NFKC", value).replace(",", "").strip()
        return super().to_python(value)


class TargetsForm(forms.Form):
    """One number per indicator; blank means no target for the year."""

    def __init__(self, *args: Any, indicators: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for indicator in indicators:
            self.fields[indicator.code] = TargetField(
                label=f"{indicator.project.label}: {indicator.label}（{indicator.unit}）",
                required=False,
                min_value=0,
                max_value=TARGET_MAX,
                error_messages={
                    "invalid": "目標値は0以上の整数（半角・全角数字）で入力してください。",
                    "min_value": "目標値は0以上で入力してください。",
                    "max_value": f"目標値は{TARGET_MAX:,}以下で入力してください。",
                },
                widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "9"}),
            )
