"""Monthly sheet summaries for insight (sheets/summary.py), filled from the existing sheets and
cases; row security follows from the municipality key (tenancy/rls.py, after migrate)."""

from typing import Any

import django.db.models.deletion
import tenancy.fields
from django.db import migrations, models


def fill(apps: Any, schema_editor: Any) -> None:
    from sheets.summary import rebuild

    rebuild(apps)


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0011_join_tables_municipality_key'),
        ('cases', '0012_join_tables_municipality_key'),
        ('sheets', '0015_index_keys_include_municipality'),
        ('tenancy', '0002_belonging'),
    ]

    operations = [
        migrations.CreateModel(
            name='MultiAgencyCaseMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('n', models.PositiveIntegerField()),
                ('agency', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.agency')),
                ('district', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.area')),
                ('municipality', tenancy.fields.TenantKey(on_delete=django.db.models.deletion.PROTECT, parent='district', to='tenancy.municipality')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('municipality', 'month', 'district', 'agency'), name='multi_agency_case_month_key')],
            },
        ),
        migrations.CreateModel(
            name='SheetLagMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('kind', models.CharField(choices=[('ack', '受理'), ('close', '終結')], max_length=10)),
                ('days', models.PositiveIntegerField()),
                ('n', models.PositiveIntegerField()),
                ('district', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.area')),
                ('municipality', tenancy.fields.TenantKey(on_delete=django.db.models.deletion.PROTECT, parent='district', to='tenancy.municipality')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('municipality', 'month', 'district', 'kind', 'days'), name='sheet_lag_month_key')],
            },
        ),
        migrations.CreateModel(
            name='SheetMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('receiver', models.PositiveIntegerField()),
                ('handover', models.CharField(choices=[('system', 'つむぎで送付'), ('phone', '電話'), ('fax', 'FAX'), ('hand', '手渡し')], max_length=10)),
                ('status', models.CharField(choices=[('sent', '受理待ち'), ('acknowledged', '対応中'), ('redirected', '転送済み'), ('withdrawn', '取下げ'), ('closed', '終結')], max_length=20)),
                ('acknowledged', models.BooleanField()),
                ('redirected', models.BooleanField()),
                ('n', models.PositiveIntegerField()),
                ('district', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.area')),
                ('municipality', tenancy.fields.TenantKey(on_delete=django.db.models.deletion.PROTECT, parent='district', to='tenancy.municipality')),
            ],
            options={
                'constraints': [models.UniqueConstraint(fields=('municipality', 'month', 'district', 'receiver', 'handover', 'status', 'acknowledged', 'redirected'), name='sheet_month_key')],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
