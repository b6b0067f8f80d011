"""`in` on integer columns ignores values the database cannot hold, as `exact` already does.

Django stops an out-of-range integer in `exact`, `gt`, `gte`, `lt` and `lte` lookups
(IntegerFieldOverflow, Django ticket #27397) but not in `in`: on SQLite a form's
ModelMultipleChoiceField fed "9223372036854775808" raised OverflowError (a 500) from every
multiple choice, Django admin's included. A value no row can have matches nothing, so it is
dropped from the list; an empty list is the empty result Django already gives `in []`.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import IntegerField
from django.db.models.lookups import In

# A row id as people and machines send it: ASCII digits, at most 18 of them (every such number fits
# a 64-bit integer). str.isdigit() is not this: "²" is a digit to it and int("²") a ValueError, and
# "9223372036854775808" an OverflowError on SQLite (a 500 either way).
_PLAIN_ID = re.compile(r"[0-9]{1,18}")


def plain_id(value: object) -> int | None:
    """The id `value` spells, or None when no row can have it."""
    text = str(value)
    return int(text) if _PLAIN_ID.fullmatch(text) else None


class IntegerFieldIn(In):
    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if self.rhs_is_direct_value():
            low, high = connection.ops.integer_field_range(
                self.lhs.output_field.get_internal_type()
            )
            self.rhs = [
                v
                for v in self.rhs
                if not isinstance(v, int)
                or ((low is None or v >= low) and (high is None or v <= high))
            ]
        return super().process_rhs(compiler, connection)


def register() -> None:
    IntegerField.register_lookup(IntegerFieldIn)
