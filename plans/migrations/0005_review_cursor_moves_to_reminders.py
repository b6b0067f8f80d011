"""The plan review's reminder cursor moves from its row to the engine's cursor table
(`reminders`), as 宿題's did (meetings 0005)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('plans', '0004_goal_task_project'),
        ('reminders', '0001_initial'),
    ]

    operations = [
        migrations.RunSQL(
            """INSERT INTO reminders_cursor (kind, subject_id, deadline, remind_at, step)
               SELECT 'plan_review', id, CASE WHEN status = 'active' THEN review_due_at END,
                      CASE WHEN status = 'active' THEN remind_at END, remind_step
               FROM plans_plan WHERE remind_at IS NOT NULL OR remind_step <> 0""",
            migrations.RunSQL.noop,
            elidable=False,
        ),
        migrations.RemoveConstraint(
            model_name='plan',
            name='plan_reminds_only_when_active',
        ),
        migrations.RemoveIndex(
            model_name='plan',
            name='plan_remind_at',
        ),
        migrations.AlterField(
            model_name='planevent',
            name='kind',
            field=models.CharField(choices=[('created', '作成'), ('edited', '作成中の修正'), ('submitted', '会議に提出'), ('on_agenda', '議題に追加'), ('decision', '会議の判断'), ('approved', '承認'), ('started', '実施開始'), ('goal_evaluated', '目標の評価'), ('evaluated', '評価の確定'), ('replanned', '再プラン'), ('ended', '終結・中断'), ('reminder', '見直しの督促'), ('review_moved', '見直し期日の変更')], max_length=20, verbose_name='種類'),
        ),
        migrations.RemoveField(
            model_name='plan',
            name='remind_at',
        ),
        migrations.RemoveField(
            model_name='plan',
            name='remind_step',
        ),
    ]
