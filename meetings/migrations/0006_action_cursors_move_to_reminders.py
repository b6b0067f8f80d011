"""宿題's reminder cursor moves from its row to the engine's cursor table (`reminders`)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('meetings', '0005_packet_print_masked_cases'),
        ('reminders', '0001_initial'),
    ]

    operations = [
        migrations.RunSQL(
            """INSERT INTO reminders_cursor (kind, subject_id, deadline, remind_at, step)
               SELECT 'action_item', id, CASE WHEN done_at IS NULL THEN due_at END, remind_at,
                      remind_step
               FROM meetings_actionitem WHERE remind_at IS NOT NULL OR remind_step <> 0""",
            migrations.RunSQL.noop,
            elidable=False,
        ),
        migrations.RemoveConstraint(
            model_name='actionitem',
            name='action_done_has_nothing_to_remind',
        ),
        migrations.RemoveIndex(
            model_name='actionitem',
            name='action_remind_at',
        ),
        migrations.AlterField(
            model_name='meetingevent',
            name='kind',
            field=models.CharField(choices=[('created', '作成'), ('distributed', '議題の配布'), ('reopened', '配布後の議題変更の開始'), ('agenda_changed', '配布後の議題変更'), ('minutes_approved', '議事録の承認'), ('minutes_corrected', '議事録の訂正'), ('action_done', '宿題の完了'), ('reminder', '宿題の督促'), ('deadline_moved', '宿題の期日の変更')], max_length=30, verbose_name='種類'),
        ),
        migrations.RemoveField(
            model_name='actionitem',
            name='remind_at',
        ),
        migrations.RemoveField(
            model_name='actionitem',
            name='remind_step',
        ),
    ]
