"""Case.has_sheets for the cases that already have a sheet (any sheet, in any state: what the
抱え込み condition's NOT EXISTS counted). Here rather than in cases: the sheets table is the
sheets app's."""

from typing import Any

from django.db import migrations
from django.db.models import Exists, OuterRef


def mark_cases_with_sheets(apps: Any, schema_editor: Any) -> None:
    Case = apps.get_model("cases", "Case")
    Sheet = apps.get_model("sheets", "Sheet")
    Case._base_manager.filter(Exists(Sheet._base_manager.filter(case_id=OuterRef("pk")))).update(
        has_sheets=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0014_case_has_sheets"),
        ("sheets", "0018_worker_file_failure"),
    ]

    operations = [
        migrations.RunPython(mark_cases_with_sheets, migrations.RunPython.noop, elidable=True),
    ]
