"""How a person hears each topic of notices (the preferences page)."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import Delivery, NoticePreference
from .topics import topics


class PreferencesForm(forms.Form):
    """One choice per registered topic; reminder rungs are not among them (always mailed)."""

    def __init__(self, *args: Any, user_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user_id = user_id
        saved = dict(
            NoticePreference.objects.filter(user_id=user_id).values_list("topic", "delivery")
        )
        for topic in topics():
            self.fields[topic.code] = forms.ChoiceField(
                label=topic.label,
                choices=Delivery.choices,
                initial=saved.get(topic.code, Delivery.IMMEDIATE),
                widget=forms.RadioSelect,
                help_text=topic.help,
            )

    def save(self) -> int:
        """Store every choice (a row per topic); returns how many changed."""
        saved = dict(
            NoticePreference.objects.filter(user_id=self.user_id).values_list("topic", "delivery")
        )
        changed = 0
        for code, delivery in self.cleaned_data.items():
            if saved.get(code, Delivery.IMMEDIATE) == delivery:
                continue
            NoticePreference.objects.update_or_create(
                user_id=self.user_id, topic=code, defaults={"delivery": delivery}
            )
            changed += 1
        return changed
