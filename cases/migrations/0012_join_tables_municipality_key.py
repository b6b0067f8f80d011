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
        ('cases', '0011_municipality_required'),
        ('tenancy', '0002_belonging'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # Django's own join table as it is, now named by a model of ours.
            state_operations=[
                migrations.CreateModel(
                    name='CaseTag',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.case')),
                        ('issuetag', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.issuetag')),
                    ],
                    options={
                        'verbose_name': '相談の課題',
                        'verbose_name_plural': '相談の課題',
                        'db_table': 'cases_case_tags',
                        'unique_together': {('case', 'issuetag')},
                    },
                ),
                migrations.AlterField(
                    model_name='case',
                    name='tags',
                    field=tenancy.fields.TenantManyToManyField(blank=True, related_name='cases', through='cases.CaseTag', to='cases.issuetag', verbose_name='課題'),
                ),
                migrations.CreateModel(
                    name='ConsentAgency',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('consent', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cases.consent')),
                        ('agency', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='areas.agency')),
                    ],
                    options={
                        'verbose_name': '同意の共有先',
                        'verbose_name_plural': '同意の共有先',
                        'db_table': 'cases_consent_agencies',
                        'unique_together': {('consent', 'agency')},
                    },
                ),
                migrations.AlterField(
                    model_name='consent',
                    name='agencies',
                    field=tenancy.fields.TenantManyToManyField(related_name='consents', through='cases.ConsentAgency', to='areas.agency', verbose_name='共有してよい機関'),
                ),
            ],
        ),
        migrations.AddField(
            model_name='casetag',
            name='municipality',
            field=tenancy.fields.TenantKey(null=True, on_delete=django.db.models.deletion.PROTECT, parent='case', to='tenancy.municipality'),
        ),
        migrations.AddField(
            model_name='consentagency',
            name='municipality',
            field=tenancy.fields.TenantKey(null=True, on_delete=django.db.models.deletion.PROTECT, parent='consent', to='tenancy.municipality'),
        ),
        fill_from_parent('cases_case_tags', 'case_id', 'cases_case'),
        fill_from_parent('cases_consent_agencies', 'consent_id', 'cases_consent'),
        migrations.AlterField(
            model_name='casetag',
            name='municipality',
            field=tenancy.fields.TenantKey(on_delete=django.db.models.deletion.PROTECT, parent='case', to='tenancy.municipality'),
        ),
        migrations.AlterUniqueTogether(
            name='casetag',
            unique_together=set(),
        ),
        migrations.AddConstraint(
            model_name='casetag',
            constraint=models.UniqueConstraint(fields=('municipality', 'case', 'issuetag'), name='case_tag_unique'),
        ),
        migrations.AlterField(
            model_name='consentagency',
            name='municipality',
            field=tenancy.fields.TenantKey(on_delete=django.db.models.deletion.PROTECT, parent='consent', to='tenancy.municipality'),
        ),
        migrations.AlterUniqueTogether(
            name='consentagency',
            unique_together=set(),
        ),
        migrations.AddConstraint(
            model_name='consentagency',
            constraint=models.UniqueConstraint(fields=('municipality', 'consent', 'agency'), name='consent_agency_unique'),
        ),
    ]
