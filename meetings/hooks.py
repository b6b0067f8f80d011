"""Places where apps above `meetings` add to a meeting without `meetings` importing them.

`plans` sits above `meetings` (.importlinter), so the packet asks these registries for what
upper apps print under an agenda item: the 支援プラン discussed at a 重層的支援会議.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .packet import ItemSection

# Given the packet's item sections (each with the viewer-independent CaseView the packet prints),
# returns {agenda item id: HTML already rendered and escaped} to print under those items.
PacketPart = Callable[[Sequence["ItemSection"]], dict[int, str]]

_packet_parts: dict[str, PacketPart] = {}


def register_packet_part(name: str, part: PacketPart) -> None:
    _packet_parts[name] = part


def packet_parts(sections: Sequence[ItemSection]) -> dict[int, list[str]]:
    parts: dict[int, list[str]] = {}
    for part in _packet_parts.values():
        for item_id, html in part(sections).items():
            parts.setdefault(item_id, []).append(html)
    return parts
