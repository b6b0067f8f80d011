"""Sheet.district: each sheet's copy of its case's district (insight counts open sheets by
district without joining them to their cases), added empty and filled from the cases; 0022
makes it required (PostgreSQL alters no table with the fill's key checks still pending in the
same transaction)."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_case_districts(apps: Any, schema_editor: Any) -> None:
    Case = apps.get_model("cases", "Case")
    Sheet = apps.get_model("sheets", "Sheet")
    Sheet._base_manager.update(
        district_id=Subquery(
            Case._base_manager.filter(pk=OuterRef("case_id")).values("district_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("areas", "0011_join_tables_municipality_key"),
        ("cases", "0016_event_no_municipality_index"),
        ("sheets", "0020_open_sheet_count"),
    ]

    operations = [
        migrations.AddField(
            model_name="sheet",
            name="district",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="areas.area",
                verbose_name="地区",
            ),
        ),
        migrations.RunPython(copy_case_districts, migrations.RunPython.noop, elidable=True),
    ]
