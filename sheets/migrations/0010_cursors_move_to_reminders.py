"""The reminder engine moves to the `reminders` app: the sheet's cursor columns become rows of the
narrow cursor table, and the reminder and notification rows move with their ids (so links and
the read state stay). Reminders whose mail never went out become outbox mails, one per person.

Set-based SQL (INSERT … SELECT): on a million sheets a row-by-row copy would take minutes.
"""

from django.conf import settings
from django.core.management.color import no_style
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    connection = schema_editor.connection
    now = "CURRENT_TIMESTAMP"
    statements = [
        """INSERT INTO reminders_cursor (kind, subject_id, deadline, remind_at, step)
           SELECT 'sheet', id, next_due_at, remind_at, remind_step FROM sheets_sheet
           WHERE remind_at IS NOT NULL OR remind_step <> 0""",
        """INSERT INTO reminders_reminder (id, kind, subject_id, deadline, step, created_at)
           SELECT id, subject, subject_id, deadline, step, created_at FROM sheets_reminder""",
        f"""INSERT INTO reminders_mail (user_id, template, context, created_at, attempts,
                                        claimed_by)
           SELECT DISTINCT n.user_id, 'reminders', '', {now}, 0, 'migration:' || n.user_id
           FROM sheets_notification n JOIN sheets_reminder r ON r.id = n.reminder_id
           WHERE r.emailed_at IS NULL""",
        """INSERT INTO reminders_notification (id, user_id, reminder_id, mail_id, title, url,
                                               created_at, read_at)
           SELECT n.id, n.user_id, n.reminder_id,
                  CASE WHEN r.id IS NOT NULL AND r.emailed_at IS NULL THEN
                    (SELECT m.id FROM reminders_mail m
                     WHERE m.claimed_by = 'migration:' || n.user_id) END,
                  n.title, n.url, n.created_at, n.read_at
           FROM sheets_notification n LEFT JOIN sheets_reminder r ON r.id = n.reminder_id""",
        "UPDATE reminders_mail SET claimed_by = '' WHERE claimed_by LIKE 'migration:%'",
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        # Rows were copied with their ids: move the sequences past them (PostgreSQL).
        models_ = [apps.get_model("reminders", n) for n in ("Reminder", "Notification", "Mail")]
        for sql in connection.ops.sequence_reset_sql(no_style(), models_):
            cursor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('areas', '0001_initial'),
        ('cases', '0007_consent_support_body_shared_summary'),
        ('sheets', '0009_fewer_indexes'),
        ('reminders', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
        migrations.RemoveIndex(
            model_name='notification',
            name='notification_unread',
        ),
        migrations.RemoveConstraint(
            model_name='notification',
            name='notification_once_per_reminder',
        ),
        migrations.RemoveIndex(
            model_name='reminder',
            name='reminder_unsent',
        ),
        migrations.RemoveConstraint(
            model_name='reminder',
            name='reminder_once',
        ),
        migrations.RemoveConstraint(
            model_name='sheet',
            name='sheet_ended_has_nothing_to_remind',
        ),
        migrations.RemoveIndex(
            model_name='sheet',
            name='sheet_remind_at',
        ),
        migrations.AddConstraint(
            model_name='sheet',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['sent', 'acknowledged']), models.Q(('ended_at__isnull', False), ('next_due_at__isnull', True)), _connector='OR'), name='sheet_ended_has_nothing_to_remind'),
        ),
        migrations.RemoveField(
            model_name='notification',
            name='reminder',
        ),
        migrations.RemoveField(
            model_name='notification',
            name='user',
        ),
        migrations.RemoveField(
            model_name='sheet',
            name='remind_at',
        ),
        migrations.RemoveField(
            model_name='sheet',
            name='remind_step',
        ),
        migrations.DeleteModel(
            name='Reminder',
        ),
        migrations.DeleteModel(
            name='Notification',
        ),
    ]
