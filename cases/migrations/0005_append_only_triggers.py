"""The read log (閲覧記録) and the case timeline refuse UPDATE and DELETE on PostgreSQL."""

from django.db import migrations

from tsumugi.lib.appendonly import RefuseChanges


class Migration(migrations.Migration):
    dependencies = [("cases", "0004_person_search_trigram")]

    operations = [RefuseChanges("access"), RefuseChanges("event")]
