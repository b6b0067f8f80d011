"""One municipality per deployment, until tenancy exists (issue 9, point 10).

Every coordinator's scope is "the city": a second layer-1 area loaded into the same database
would let the first city's coordinators see the second city's cases, and the other way round.
Until each row carries its municipality, the system check refuses such a database, and the area
form refuses to create one. It is a database check: `migrate` (run by the compose file on every
start) and `manage.py check --database default` run it; a plain `check` needs no database.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register
from django.db import DatabaseError

MESSAGE = (
    "第1層（市域）が{count}件あります（{names}）。"
    "このシステムは1つのデプロイで1つの市町村だけを扱います（市町村ごとのデータ分離は未実装）。"
    "別の市町村はデータベースを分けて別に動かしてください。"
)


def second_city_message() -> str | None:
    from .models import Area

    names = list(Area.objects.filter(layer=Area.Layer.CITY).values_list("name", flat=True))
    if len(names) <= 1:
        return None
    return MESSAGE.format(count=len(names), names="、".join(names))


@register(Tags.database)
def one_municipality_per_deployment(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    try:
        message = second_city_message()
    except DatabaseError:  # not migrated yet: nothing to check
        return []
    if message is None:
        return []
    return [Error(message, id="areas.E001", hint="第1層の区域を1つにしてください。")]
