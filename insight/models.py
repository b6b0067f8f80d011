"""The city's own annual targets for the 重層的支援体制整備事業, one number per indicator.

The indicators themselves (what counts, towards which 事業) are code, in insight/results.py;
a target names an indicator by its code. A target left blank is stored as no value, so a
changed mind stays in the history rather than vanishing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from tenancy.fields import TenantKey


class Target(models.Model):
    municipality = TenantKey(db_index=False)
    fiscal_year = models.PositiveSmallIntegerField("年度")
    indicator = models.CharField("指標", max_length=40)
    value = models.PositiveIntegerField("目標値", null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="更新者", on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField("更新日時")

    history = HistoricalRecords(verbose_name="目標値の変更履歴", no_db_index="municipality")

    class Meta:
        ordering = ["fiscal_year", "indicator"]
        verbose_name = verbose_name_plural = "事業の目標値"
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year", "indicator"],
                name="target_once_per_year_indicator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year}年度 {self.indicator}: {self.value}"
