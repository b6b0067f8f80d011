"""Meeting packets are produced by the worker and kept as the print record (issue 11)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('meetings', '0006_action_cursors_move_to_reminders'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Packet',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('agenda_version', models.PositiveIntegerField(verbose_name='議題の版')),
                ('revision', models.PositiveIntegerField(default=0, verbose_name='議事録の版')),
                ('day', models.DateField(verbose_name='作成日')),
                ('status', models.CharField(choices=[('pending', '作成待ち'), ('running', '作成中'), ('done', '完成'), ('failed', '作成できませんでした')], default='pending', max_length=10, verbose_name='状態')),
                ('requested_at', models.DateTimeField(verbose_name='依頼日時')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='開始日時')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='完成日時')),
                ('claimed_until', models.DateTimeField(blank=True, editable=False, null=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='作成の試行回数')),
                ('file', models.FileField(blank=True, upload_to='packets/', verbose_name='ファイル')),
                ('size', models.PositiveIntegerField(default=0, verbose_name='大きさ（バイト）')),
                ('masked_cases', models.TextField(blank=True, verbose_name='伏せて印刷した相談')),
                ('meeting', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='packets', to='meetings.meeting')),
            ],
            options={
                'verbose_name': '会議資料PDF',
                'verbose_name_plural': '会議資料PDF',
                'ordering': ['-requested_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='packetprint',
            name='packet',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='prints', to='meetings.packet'),
        ),
        migrations.AddConstraint(
            model_name='packetprint',
            constraint=models.UniqueConstraint(condition=models.Q(('packet__isnull', False)), fields=('packet', 'user'), name='packet_print_once'),
        ),
        migrations.AddConstraint(
            model_name='packet',
            constraint=models.UniqueConstraint(fields=('meeting', 'agenda_version', 'revision', 'day'), name='packet_once'),
        ),
    ]
