from django.db import migrations

OUTCOMES = [
    ("support", "支援開始"),
    ("resolved", "解決"),
    ("connected", "他機関へつないだ"),
    ("declined", "本人辞退"),
    ("unreachable", "連絡不能"),
    ("died_moved", "死亡・転出"),
]


def add_outcomes(apps, schema_editor):
    Outcome = apps.get_model("sheets", "Outcome")
    for order, (code, name) in enumerate(OUTCOMES):
        Outcome.objects.get_or_create(code=code, defaults={"name": name, "order": order})


class Migration(migrations.Migration):
    dependencies = [("sheets", "0002_reminders_notifications")]
    operations = [migrations.RunPython(add_outcomes, migrations.RunPython.noop)]
