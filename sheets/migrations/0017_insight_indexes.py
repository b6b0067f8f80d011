"""Drops sheet_insight_sent, the covering index (sent_at INCLUDE id, case, sender, receiver,
status, acknowledged_at, ended_at, parent, next_due_at, handover) that hand-off health, the
indicators and the 地区カルテ scanned: they read the monthly summaries of 0016 now. What still
counts sheets by sending time (a range that is not whole months, figures by agency) has a plain
index on sent_at (sheet_sent). Kept: sheet_insight_continuing_len and sheet_insight_status_roles
(failure modes) and sheet_insight_open, which the failure modes and the overdue counts read and
which now includes the municipality key, so those reads stay index-only under the key's filter."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0011_join_tables_municipality_key'),
        ('cases', '0013_insight_indexes'),
        ('sheets', '0016_insight_summaries'),
        ('tenancy', '0002_belonging'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='sheet',
            name='sheet_insight_sent',
        ),
        migrations.RemoveIndex(
            model_name='sheet',
            name='sheet_insight_open',
        ),
        migrations.AddIndex(
            model_name='sheet',
            index=models.Index(fields=['sent_at'], name='sheet_sent'),
        ),
        migrations.AddIndex(
            model_name='sheet',
            index=models.Index(condition=models.Q(('next_due_at__isnull', False)), fields=['next_due_at'], include=('municipality', 'id', 'case', 'sender_agency', 'receiver_agency', 'status', 'ack_due_at', 'follow_up_due_at', 'last_event_at', 'assignee', 'sent_at', 'handover'), name='sheet_insight_open'),
        ),
    ]
