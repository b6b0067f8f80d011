"""The covering indexes the failure modes and the overdue counts join each open sheet's case
through include the municipality key, which row security's condition reads on every row."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0011_join_tables_municipality_key'),
        ('cases', '0012_join_tables_municipality_key'),
        ('tenancy', '0002_belonging'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='case',
            name='case_insight_district',
        ),
        migrations.RemoveIndex(
            model_name='case',
            name='case_insight_id',
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['district', 'status'], include=('id', 'field_count', 'received_at', 'agency', 'municipality'), name='case_insight_district'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(fields=['id'], include=('district', 'agency', 'status', 'last_activity_at', 'municipality'), name='case_insight_id'),
        ),
    ]
