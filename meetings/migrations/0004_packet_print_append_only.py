"""The packet print log refuses UPDATE and DELETE on PostgreSQL."""

from django.db import migrations

from tsumugi.lib.appendonly import RefuseChanges


class Migration(migrations.Migration):
    dependencies = [("meetings", "0003_attendance_role_order")]

    operations = [RefuseChanges("packetprint")]
