# The join tables of the many-to-many relations carry the municipality key (issue 16): the
# state switches to explicit `through` models on the same tables and columns; the database gains
# municipality_id, filled from the parent row, required, and in the unique key.

import django.db.models.deletion
import tenancy.fields
from django.db import migrations, models
from tenancy.backfill import fill_from_parent


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0010_on_duty_example'),
        ('tenancy', '0002_belonging'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # Django's own join table as it is, now named by a model of ours.
            state_operations=[
                migrations.CreateModel(
                    name='AgencyDistrict',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('agency', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='district_links', to='areas.agency')),
                        ('area', models.ForeignKey(limit_choices_to={'layer': 2}, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.area')),
                    ],
                    options={
                        'verbose_name': '機関の担当区域',
                        'verbose_name_plural': '機関の担当区域',
                        'db_table': 'areas_agency_districts',
                        'unique_together': {('agency', 'area')},
                    },
                ),
                migrations.AlterField(
                    model_name='agency',
                    name='districts',
                    field=tenancy.fields.TenantManyToManyField(blank=True, limit_choices_to={'layer': 2}, related_name='agencies', through='areas.AgencyDistrict', to='areas.area', verbose_name='担当区域'),
                ),
                migrations.CreateModel(
                    name='AgencyField',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('agency', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='field_links', to='areas.agency')),
                        ('field', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.field')),
                    ],
                    options={
                        'verbose_name': '機関の分野',
                        'verbose_name_plural': '機関の分野',
                        'db_table': 'areas_agency_fields',
                        'unique_together': {('agency', 'field')},
                    },
                ),
                migrations.AlterField(
                    model_name='agency',
                    name='fields',
                    field=tenancy.fields.TenantManyToManyField(blank=True, related_name='agencies', through='areas.AgencyField', to='areas.field', verbose_name='分野'),
                ),
            ],
        ),
        migrations.AddField(
            model_name='agencydistrict',
            name='municipality',
            field=tenancy.fields.TenantKey(null=True, on_delete=django.db.models.deletion.PROTECT, parent='agency', to='tenancy.municipality'),
        ),
        migrations.AddField(
            model_name='agencyfield',
            name='municipality',
            field=tenancy.fields.TenantKey(null=True, on_delete=django.db.models.deletion.PROTECT, parent='agency', to='tenancy.municipality'),
        ),
        fill_from_parent('areas_agency_districts', 'agency_id', 'areas_agency'),
        fill_from_parent('areas_agency_fields', 'agency_id', 'areas_agency'),
        migrations.AlterField(
            model_name='agencydistrict',
            name='municipality',
            field=tenancy.fields.TenantKey(on_delete=django.db.models.deletion.PROTECT, parent='agency', to='tenancy.municipality'),
        ),
        migrations.AlterUniqueTogether(
            name='agencydistrict',
            unique_together=set(),
        ),
        migrations.AddConstraint(
            model_name='agencydistrict',
            constraint=models.UniqueConstraint(fields=('municipality', 'agency', 'area'), name='agency_district_unique'),
        ),
        migrations.AlterField(
            model_name='agencyfield',
            name='municipality',
            field=tenancy.fields.TenantKey(on_delete=django.db.models.deletion.PROTECT, parent='agency', to='tenancy.municipality'),
        ),
        migrations.AlterUniqueTogether(
            name='agencyfield',
            unique_together=set(),
        ),
        migrations.AddConstraint(
            model_name='agencyfield',
            constraint=models.UniqueConstraint(fields=('municipality', 'agency', 'field'), name='agency_field_unique'),
        ),
    ]
