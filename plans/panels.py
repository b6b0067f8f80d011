"""What plans add to a case: the close guard and the case page's 多機関協働 section."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from cases.models import Case

from .models import BLOCKS_CASE_CLOSE, Plan, SupportDecision, coordinates


def close_refusal(case: Case) -> str | None:
    plan = Plan.objects.filter(case=case, status__in=BLOCKS_CASE_CLOSE).first()
    if plan is None:
        return None
    return (
        f"支援プラン第{plan.version}版が{plan.get_status_display()}のため、相談を終結できません。"
        "先に重層的支援会議で終結・中断を判断してください。"
    )


def case_panel(request: HttpRequest, case: Case) -> str:
    """支援決定 and the plans of the case (two queries). Only states and dates are shown here;
    the plan's contents are on its own page, behind the one rule for personal details."""
    decision = (
        SupportDecision.objects.filter(case=case).select_related("decided_by", "agency").first()
    )
    plans = list(Plan.objects.filter(case=case).order_by("-version"))
    may_coordinate = coordinates(request.user, case)
    if decision is None and not may_coordinate:
        return ""
    return render_to_string(
        "plans/_case_panel.html",
        {
            "case": case,
            "decision": decision,
            "plans": plans,
            "may_coordinate": may_coordinate and case.status == Case.Status.OPEN,
            "has_live_plan": any(
                p.status not in ("replanned", "closed", "suspended") for p in plans
            ),
        },
        request=request,
    )
