"""The アセスメント check items, grouped as MHLW's インテーク・アセスメントシート groups them.

They are data: a city edits them in the admin (Django admin → アセスメントの確認項目). Items
marked reported_to_nation are the ones the national report (国への報告事項) asks for.
"""

from django.db import migrations

GROUPS = [
    (
        "household",
        "世帯の状況",
        [
            ("household-elderly-only", "高齢者のみの世帯", False),
            ("household-single-parent", "ひとり親世帯", True),
            ("household-8050", "高齢の親と働いていない子の世帯（8050）", True),
            ("household-young-carer", "家族の世話をしている子ども（ヤングケアラー）", True),
            ("household-carer", "介護・看病をしている家族がいる", True),
            ("household-conflict", "家族関係の不和・暴力のおそれ", True),
        ],
    ),
    (
        "health",
        "健康・障がい",
        [
            ("health-illness", "身体の病気・治療中", False),
            ("health-mental", "精神的な不調", True),
            ("health-disability", "障がいがある（手帳あり）", True),
            ("health-disability-suspected", "障がいの疑いがある（手帳なし）", True),
            ("health-care-need", "要介護・要支援の認定がある", False),
            ("health-treatment-stopped", "受診・服薬が途切れている", False),
        ],
    ),
    (
        "money",
        "経済・就労",
        [
            ("money-low-income", "収入が少ない・不安定", True),
            ("money-debt", "借金・税や公共料金の滞納がある", True),
            ("money-jobless", "仕事がない・求職中", True),
            ("money-work-trouble", "働くことに困難がある", True),
            ("money-public-assistance", "生活保護を受けている", True),
            ("money-management", "お金の管理が難しい", False),
        ],
    ),
    (
        "housing",
        "住まい",
        [
            ("housing-loss", "住まいを失うおそれがある", True),
            ("housing-rent-arrears", "家賃を滞納している", False),
            ("housing-hygiene", "ごみの堆積・衛生上の問題", True),
            ("housing-unsuitable", "住まいが心身の状態に合っていない", False),
        ],
    ),
    (
        "connections",
        "社会参加・つながり",
        [
            ("connections-hikikomori", "ひきこもり状態にある", True),
            ("connections-isolated", "相談できる人がいない（孤立）", True),
            ("connections-no-activity", "地域の活動や居場所とのつながりがない", True),
            ("connections-school", "学校に通えていない（不登校）", True),
        ],
    ),
    (
        "wish",
        "本人の思い",
        [
            ("wish-own-words", "本人の思い・望む暮らし（本人の言葉で）", False),
            ("wish-aware", "本人が困りごとを自覚している", False),
            ("wish-consents-support", "本人が支援を受けることを望んでいる", True),
        ],
    ),
    (
        "view",
        "支援者の見立て",
        [
            ("view-summary", "支援者の見立て（課題の背景と強み）", False),
            ("view-urgent", "緊急性が高い", True),
            ("view-multi-agency", "複数の機関の関わりが必要（多機関協働）", True),
            ("view-participation", "参加支援（居場所・就労体験など）が役立つ", True),
        ],
    ),
]


def load(apps, schema_editor):
    Group = apps.get_model("plans", "AssessmentGroup")
    Item = apps.get_model("plans", "AssessmentItem")
    for g_order, (code, name, items) in enumerate(GROUPS, start=1):
        group, _ = Group.objects.get_or_create(code=code, defaults={"name": name, "order": g_order})
        for i_order, (item_code, label, national) in enumerate(items, start=1):
            Item.objects.get_or_create(
                code=item_code,
                defaults={
                    "group": group,
                    "label": label,
                    "order": i_order,
                    "reported_to_nation": national,
                },
            )


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_plans")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
