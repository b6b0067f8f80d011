"""The plan on paper: an A4 プラン兼利用申込書-style PDF of one version, with the resident's
signature line (本人署名欄), 和暦 dates, page x / y and the embedded font.

Only a viewer whom the legal basis names gets here (the view checks the same CaseView it passes
in): the paper carries the resident's name, so there is no masked variant to hand out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils import timezone

from tsumugi.lib import pdf
from tsumugi.lib.dates import wareki

from .models import Goal, Plan

if TYPE_CHECKING:
    from cases.privacy import CaseView


def _w(day: date | None) -> str:
    return wareki(day) if day else "—"


def plan_context(plan: Plan, view: CaseView, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    goals = list(
        plan.goals.select_related("evaluation").prefetch_related(
            "tasks__agency", "tasks__membership__user"
        )
    )
    return {
        "plan": plan,
        "case": plan.case,
        "primary": view.primary,
        "long_goals": [g for g in goals if g.term == Goal.Term.LONG],
        "short_goals": [g for g in goals if g.term == Goal.Term.SHORT],
        "period": f"{_w(plan.period_start)} 〜 {_w(plan.period_end)}",
        "review_wareki": _w(plan.review_date),
        "approved_wareki": _w(timezone.localdate(plan.approved_at)) if plan.approved_at else "",
        "created_wareki": _w(timezone.localdate(plan.created_at)),
        "printed_wareki": _w(timezone.localdate(now)),
        "font_regular": pdf.static_url("fonts/BIZUDPGothic-Regular.ttf"),
        "font_bold": pdf.static_url("fonts/BIZUDPGothic-Bold.ttf"),
    }


def plan_html(plan: Plan, view: CaseView, now: datetime | None = None) -> str:
    return render_to_string("plans/pdf/plan.html", plan_context(plan, view, now))


def render_plan(plan: Plan, view: CaseView, now: datetime | None = None) -> bytes:
    return pdf.render_pdf(plan_html(plan, view, now))
