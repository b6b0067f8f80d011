"""Places where apps above `cases` plug into a case without `cases` importing them.

The layering (areas ← cases ← sheets ← meetings ← plans ← insight) forbids `cases` from
importing what sits above it, even inside a function. An upper app fills these registries from
its AppConfig.ready(): `plans` refuses closing a case whose 支援プラン is being carried out, and
adds its panel to the case page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Case

# Called with the case row locked for closing; returns the Japanese reason it may not close.
CloseGuard = Callable[["Case"], "str | None"]
# Renders a section of the case page for this viewer (already escaped HTML), or "".
CasePanel = Callable[["HttpRequest", "Case"], str]

_close_guards: dict[str, CloseGuard] = {}
_case_panels: dict[str, CasePanel] = {}


def register_close_guard(name: str, guard: CloseGuard) -> None:
    _close_guards[name] = guard


def register_case_panel(name: str, panel: CasePanel) -> None:
    _case_panels[name] = panel


def close_refusals(case: Case) -> list[str]:
    return [reason for guard in _close_guards.values() if (reason := guard(case))]


def case_panels(request: HttpRequest, case: Case) -> list[str]:
    return [html for panel in _case_panels.values() if (html := panel(request, case))]
