# The join tables of the many-to-many relations carry the municipality key (issue 16): the
# state switches to explicit `through` models on the same tables and columns; the database gains
# municipality_id, filled from the parent row, required, and in the unique key.

import django.db.models.deletion
import tenancy.fields
from django.db import migrations, models
from tenancy.backfill import fill_from_parent


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0011_join_tables_municipality_key'),
        ('meetings', '0011_municipality_required'),
        ('tenancy', '0002_belonging'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # Django's own join table as it is, now named by a model of ours.
            state_operations=[
                migrations.CreateModel(
                    name='NeededAgency',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('agendaitem', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='meetings.agendaitem')),
                        ('agency', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.agency')),
                    ],
                    options={
                        'verbose_name': '議題に必要な機関',
                        'verbose_name_plural': '議題に必要な機関',
                        'db_table': 'meetings_agendaitem_needed_agencies',
                        'unique_together': {('agendaitem', 'agency')},
                    },
                ),
                migrations.AlterField(
                    model_name='agendaitem',
                    name='needed_agencies',
                    field=tenancy.fields.TenantManyToManyField(blank=True, related_name='needed_by', through='meetings.NeededAgency', to='areas.agency', verbose_name='必要な機関'),
                ),
            ],
        ),
        migrations.AddField(
            model_name='neededagency',
            name='municipality',
            field=tenancy.fields.TenantKey(null=True, on_delete=django.db.models.deletion.PROTECT, parent='agendaitem', to='tenancy.municipality'),
        ),
        fill_from_parent('meetings_agendaitem_needed_agencies', 'agendaitem_id', 'meetings_agendaitem'),
        migrations.AlterField(
            model_name='neededagency',
            name='municipality',
            field=tenancy.fields.TenantKey(on_delete=django.db.models.deletion.PROTECT, parent='agendaitem', to='tenancy.municipality'),
        ),
        migrations.AlterUniqueTogether(
            name='neededagency',
            unique_together=set(),
        ),
        migrations.AddConstraint(
            model_name='neededagency',
            constraint=models.UniqueConstraint(fields=('municipality', 'agendaitem', 'agency'), name='needed_agency_unique'),
        ),
    ]
