"""The kinds of notice a person may choose how to hear (mail at once, a daily digest, or in-app
only), registered by the domain apps that send them — the engine knows none of them by name.

Reminder rungs are not a topic: they cannot be turned off and are always mailed.

A subject kind (`describe`) tells the notification centre what a group of notices is about now
(e.g. a sheet's live state and whether it still waits for the viewer), for a whole page of
groups in a few queries.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


@dataclass(frozen=True)
class Topic:
    code: str  # NoticePreference.topic / Notification.topic, at most 20 characters
    label: str
    help: str = ""


_topics: dict[str, Topic] = {}


def register_topic(topic: Topic) -> Topic:
    if len(topic.code) > 20:
        raise ValueError(f"notice topic code too long: {topic.code!r}")
    _topics[topic.code] = topic
    return topic


def topics() -> list[Topic]:
    return list(_topics.values())


@dataclass(frozen=True)
class Subject:
    """What one group of the notification centre is about, as it stands now."""

    label: str  # e.g. "シート 2026-00042-01（朽木支所 → 地域包括支援センター）"
    state: str  # e.g. "受理待ち（地域包括支援センター）"
    needs_me: str = ""  # non-empty while it waits for the viewer, e.g. "あなたの機関の受理待ち"
    url: str = ""


class SubjectKind(ABC):
    name: str  # Notification.group_kind

    @abstractmethod
    def describe(self, ids: Sequence[int], user: User | AnonymousUser) -> dict[int, Subject]:
        """The subjects among `ids` the user may still open, in a constant number of queries;
        one missing from the answer is shown by its notices' titles alone."""


_subjects: dict[str, SubjectKind] = {}


def register_subject(kind: SubjectKind) -> SubjectKind:
    _subjects[kind.name] = kind
    return kind


def subject_kinds() -> dict[str, SubjectKind]:
    return dict(_subjects)
