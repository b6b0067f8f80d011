"""The signed-in user's open action items (宿題), shown on the meetings list and in the inbox,
so an owner meets them where they already look for work (one query)."""

from typing import Any

from django import template
from django.utils import timezone

from meetings.models import ActionItem

register = template.Library()


@register.inclusion_tag("meetings/_my_actions.html", takes_context=True)
def my_open_actions(context: dict[str, Any], back: str = "list") -> dict[str, Any]:
    user = context["request"].user
    actions = (
        ActionItem.objects.open()
        .filter(owner_user=user)
        .select_related("item__meeting__body", "owner_agency")
        .order_by("due_at")
    )
    return {
        "actions": list(actions),
        "now": timezone.now(),
        "back": back,
        "csrf_token": context.get("csrf_token"),
    }
