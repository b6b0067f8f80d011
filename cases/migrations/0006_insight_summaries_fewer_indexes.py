"""Monthly case summaries for insight (cases/summary.py), filled from the existing cases; the
covering index case_insight_received they replace, and FK indexes that composite indexes
already lead with (case agency/district, event case/sheet, access case), go; so does the
search_key B-tree that `contains` never used (the trigram index of 0004 serves it)."""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models


def fill(apps: Any, schema_editor: Any) -> None:
    from cases.summary import rebuild

    rebuild(apps)


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0001_initial'),
        ('cases', '0005_append_only_triggers'),
        ('sheets', '0008_insight_status_roles_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='CaseFieldMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('n', models.PositiveIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name='CaseMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('channel', models.CharField(choices=[('window', '窓口'), ('phone', '電話'), ('visit', '訪問'), ('outreach', '出前相談'), ('minsei', '民生委員経由'), ('agency', '関係機関から'), ('other', 'その他')], max_length=20)),
                ('multi_field', models.BooleanField()),
                ('n', models.PositiveIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name='CaseTagMonth',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('month', models.DateField()),
                ('n', models.PositiveIntegerField()),
            ],
        ),
        migrations.RemoveIndex(
            model_name='case',
            name='case_insight_received',
        ),
        migrations.AlterField(
            model_name='access',
            name='case',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='accesses', to='cases.case'),
        ),
        migrations.AlterField(
            model_name='case',
            name='agency',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='areas.agency', verbose_name='受付機関'),
        ),
        migrations.AlterField(
            model_name='case',
            name='district',
            field=models.ForeignKey(db_index=False, limit_choices_to={'layer': 2}, on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='areas.area', verbose_name='地区'),
        ),
        migrations.AlterField(
            model_name='event',
            name='case',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='cases.case'),
        ),
        migrations.AlterField(
            model_name='event',
            name='sheet',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='events', to='sheets.sheet'),
        ),
        migrations.AlterField(
            model_name='person',
            name='search_key',
            field=models.CharField(editable=False, max_length=130),
        ),
        migrations.AddField(
            model_name='casefieldmonth',
            name='agency',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.agency'),
        ),
        migrations.AddField(
            model_name='casefieldmonth',
            name='district',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.area'),
        ),
        migrations.AddField(
            model_name='casefieldmonth',
            name='field',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.field'),
        ),
        migrations.AddField(
            model_name='casemonth',
            name='agency',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.agency'),
        ),
        migrations.AddField(
            model_name='casemonth',
            name='district',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.area'),
        ),
        migrations.AddField(
            model_name='casetagmonth',
            name='agency',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.agency'),
        ),
        migrations.AddField(
            model_name='casetagmonth',
            name='district',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.area'),
        ),
        migrations.AddField(
            model_name='casetagmonth',
            name='tag',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.issuetag'),
        ),
        migrations.AddConstraint(
            model_name='casefieldmonth',
            constraint=models.UniqueConstraint(fields=('month', 'district', 'agency', 'field'), name='case_field_month_key'),
        ),
        migrations.AddConstraint(
            model_name='casemonth',
            constraint=models.UniqueConstraint(fields=('month', 'district', 'agency', 'channel', 'multi_field'), name='case_month_key'),
        ),
        migrations.AddConstraint(
            model_name='casetagmonth',
            constraint=models.UniqueConstraint(fields=('month', 'district', 'agency', 'tag'), name='case_tag_month_key'),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
