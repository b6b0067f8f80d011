"""Paper and phone (issue 10 item 6): the printed sheet made by the worker with its print log
(append-only), and hand-offs outside tsumugi (電話・FAX・手渡し) to an agency without accounts or
a body not in the list (receiver_agency NULL then)."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from tsumugi.lib.appendonly import RefuseChanges


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0004_historicalbody_kind_juusou'),
        ('cases', '0008_case_revision'),
        ('sheets', '0011_phrase'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SheetPrint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('masked', models.BooleanField(verbose_name='伏せて印刷')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='日時')),
                ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='IPアドレス')),
            ],
            options={
                'verbose_name': 'シートの印刷記録',
                'verbose_name_plural': 'シートの印刷記録',
                'ordering': ['-at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='SheetPrintout',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('pending', '作成待ち'), ('running', '作成中'), ('done', '完成'), ('failed', '作成できませんでした')], default='pending', max_length=10, verbose_name='状態')),
                ('requested_at', models.DateTimeField(verbose_name='依頼日時')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='開始日時')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='完成日時')),
                ('claimed_until', models.DateTimeField(blank=True, editable=False, null=True)),
                ('attempts', models.PositiveSmallIntegerField(default=0, verbose_name='作成の試行回数')),
                ('size', models.PositiveIntegerField(default=0, verbose_name='大きさ（バイト）')),
                ('version', models.PositiveIntegerField(verbose_name='シートの版')),
                ('day', models.DateField(verbose_name='作成日')),
                ('audience', models.CharField(max_length=64, verbose_name='印刷範囲の鍵')),
                ('file', models.FileField(blank=True, upload_to='sheets/', verbose_name='ファイル')),
                ('masked', models.BooleanField(default=False, verbose_name='伏せて印刷')),
            ],
            options={
                'verbose_name': '印刷用シート',
                'verbose_name_plural': '印刷用シート',
                'ordering': ['-requested_at', '-id'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='sheet',
            name='sheet_acknowledged_has_assignee',
        ),
        migrations.RemoveIndex(
            model_name='sheet',
            name='sheet_insight_sent',
        ),
        migrations.RemoveIndex(
            model_name='sheet',
            name='sheet_insight_open',
        ),
        migrations.AddField(
            model_name='sheet',
            name='handover',
            field=models.CharField(choices=[('system', 'つむぎで送付'), ('phone', '電話'), ('fax', 'FAX'), ('hand', '手渡し')], default='system', max_length=10, verbose_name='引継ぎの方法'),
        ),
        migrations.AddField(
            model_name='sheet',
            name='outside_assignee',
            field=models.CharField(blank=True, max_length=100, verbose_name='先方の担当者'),
        ),
        migrations.AddField(
            model_name='sheet',
            name='outside_contact',
            field=models.CharField(blank=True, max_length=100, verbose_name='引き継いだ相手'),
        ),
        migrations.AddField(
            model_name='sheet',
            name='outside_receiver',
            field=models.CharField(blank=True, max_length=100, verbose_name='引継ぎ先（一覧にない機関）'),
        ),
        migrations.AlterField(
            model_name='sheet',
            name='receiver_agency',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='received_sheets', to='areas.agency', verbose_name='送付先機関'),
        ),
        migrations.AddIndex(
            model_name='sheet',
            index=models.Index(fields=['sent_at'], include=('id', 'case', 'sender_agency', 'receiver_agency', 'status', 'acknowledged_at', 'ended_at', 'parent', 'next_due_at', 'handover'), name='sheet_insight_sent'),
        ),
        migrations.AddIndex(
            model_name='sheet',
            index=models.Index(condition=models.Q(('next_due_at__isnull', False)), fields=['next_due_at'], include=('id', 'case', 'sender_agency', 'receiver_agency', 'status', 'ack_due_at', 'follow_up_due_at', 'last_event_at', 'assignee', 'sent_at', 'handover'), name='sheet_insight_open'),
        ),
        migrations.AddConstraint(
            model_name='sheet',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'acknowledged'), _negated=True), models.Q(models.Q(('assignee__isnull', False), models.Q(models.Q(('handover', 'system'), _negated=True), models.Q(('outside_assignee', ''), _negated=True)), _connector='OR'), ('acknowledged_at__isnull', False), ('next_due_at', models.F('follow_up_due_at')), ('next_due_at__isnull', False)), _connector='OR'), name='sheet_acknowledged_has_assignee'),
        ),
        migrations.AddConstraint(
            model_name='sheet',
            constraint=models.CheckConstraint(condition=models.Q(('receiver_agency__isnull', False), models.Q(models.Q(('handover', 'system'), _negated=True), models.Q(('outside_receiver', ''), _negated=True)), _connector='OR'), name='sheet_receiver_named', violation_error_message='引継ぎ先を選ぶか、書いてください。'),
        ),
        migrations.AddField(
            model_name='sheetprint',
            name='sheet',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='prints', to='sheets.sheet'),
        ),
        migrations.AddField(
            model_name='sheetprint',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='sheetprintout',
            name='sheet',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='printouts', to='sheets.sheet'),
        ),
        migrations.AddField(
            model_name='sheetprint',
            name='printout',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='prints', to='sheets.sheetprintout'),
        ),
        migrations.AddConstraint(
            model_name='sheetprintout',
            constraint=models.UniqueConstraint(fields=('sheet', 'version', 'day', 'audience'), name='sheet_printout_once'),
        ),
        migrations.AddConstraint(
            model_name='sheetprint',
            constraint=models.UniqueConstraint(fields=('printout', 'user'), name='sheet_print_once'),
        ),
        RefuseChanges("sheetprint"),
    ]
