"""支援決定, assessments, evaluations, plan events and the meeting's decisions refuse UPDATE and
DELETE on PostgreSQL, beneath the ORM's own refusal."""

from django.db import migrations

from tsumugi.lib.appendonly import RefuseChanges


class Migration(migrations.Migration):
    dependencies = [("plans", "0002_assessment_items")]

    operations = [
        RefuseChanges("supportdecision"),
        RefuseChanges("assessment"),
        RefuseChanges("assessmentanswer"),
        RefuseChanges("goalevaluation"),
        RefuseChanges("planevent"),
        RefuseChanges("plandecision"),
    ]
