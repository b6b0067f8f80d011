"""Filters of the insight pages: fiscal year or a date range, district, agency."""

from __future__ import annotations

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
