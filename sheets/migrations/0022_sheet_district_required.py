"""Sheet.district required (0021 filled it), and carried by sheet_insight_open, so the failure
modes count the open sheets by district from that index alone."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sheets", "0021_sheet_district"),
    ]

    operations = [
        migrations.AlterField(
            model_name="sheet",
            name="district",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="areas.area",
                verbose_name="地区",
            ),
        ),
        migrations.RemoveIndex(model_name="sheet", name="sheet_insight_open"),
        migrations.AddIndex(
            model_name="sheet",
            index=models.Index(
                condition=models.Q(("next_due_at__isnull", False)),
                fields=["next_due_at"],
                include=(
                    "municipality",
                    "id",
                    "case",
                    "district",
                    "sender_agency",
                    "receiver_agency",
                    "status",
                    "ack_due_at",
                    "follow_up_due_at",
                    "last_event_at",
                    "assignee",
                    "sent_at",
                    "handover",
                    "outside_assignee",
                ),
                name="sheet_insight_open",
            ),
        ),
    ]
