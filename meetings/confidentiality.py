"""守秘義務の確認: before a user first opens any 支援会議 material (agenda, minutes, packet) they
confirm the statement below, once per version. 社会福祉法第106条の6 lets a 支援会議 share a
resident's case without consent because its members are bound to confidentiality; the pledge
makes each member see that duty before the first page, and the roster shows who confirmed which
version. A new version (the text changed) asks everyone again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from areas import hooks
from areas.models import Body, RosterEntry
from tsumugi.lib.dates import format_date

from .models import ConfidentialityPledge, Meeting

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


@dataclass(frozen=True)
class Statement:
    version: str
    dated: date
    paragraphs: tuple[str, ...]


STATEMENT = Statement(
    version="1",
    dated=date(2026, 12, 1),
    paragraphs=(
        "支援会議は、社会福祉法第106条の6に基づき、本人の同意がなくても、支援が必要な人の"
        "情報を構成員の間で共有して支援を検討する会議です。",
        "支援会議の事務に従事する者又は従事していた者は、正当な理由がなく、支援会議の事務に"
        "関して知り得た秘密を漏らしてはなりません（同条第5項）。この義務は、構成員でなくなった"
        "後も続きます。違反には罰則があります。",
        "支援会議の議題・議事録・資料は、支援の検討のためにだけ使い、複写・転送・持ち出しを"
        "しません。印刷した資料は会議の後に回収・廃棄します。",
    ),
)


class PledgeRequired(Exception):
    """Raised by the meeting fetch; meetings/views.py turns it into the confirmation page."""

    def __init__(self, meeting: Meeting) -> None:
        super().__init__(meeting.pk)
        self.meeting = meeting


def needs_pledge(meeting: Meeting, user: AbstractBaseUser | AnonymousUser) -> bool:
    if not meeting.body.is_confidential or not user.is_authenticated:
        return False
    pledged = ConfidentialityPledge.objects.filter(user_id=user.pk, version=STATEMENT.version)
    return not pledged.exists()


def pledge(user: AbstractBaseUser, ip: str | None) -> None:
    """Record the confirmation of the current version (a second click changes nothing)."""
    try:
        with transaction.atomic():
            ConfidentialityPledge.objects.create(user_id=user.pk, version=STATEMENT.version, ip=ip)
    except IntegrityError:
        pass  # already confirmed (two tabs): the first row stands


def pledges_of(user_ids: list[int]) -> dict[int, ConfidentialityPledge]:
    """The latest confirmation of each user (any version), for the roster."""
    latest: dict[int, ConfidentialityPledge] = {}
    for row in ConfidentialityPledge.objects.filter(user_id__in=user_ids).order_by("at", "pk"):
        latest[row.user_id] = row
    return latest


def pledge_column(body: Body, entries: Sequence[RosterEntry]) -> list[str] | None:
    """The roster's 守秘義務の確認 column, for a 支援会議 only."""
    if not body.is_confidential:
        return None
    latest = pledges_of([e.membership.user_id for e in entries])
    texts = []
    for entry in entries:
        row = latest.get(entry.membership.user_id)
        if row is None:
            texts.append("未確認")
        else:
            stale = "" if row.version == STATEMENT.version else "（最新版は未確認）"
            texts.append(f"第{row.version}版 {format_date(row.at)}{stale}")
    return texts


def register_roster_column() -> None:
    hooks.register_roster_column("守秘義務の確認", pledge_column)
