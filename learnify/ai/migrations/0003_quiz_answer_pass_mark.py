"""Every quiz answer row carries its quiz's pass mark, so the recommender decides success as the quiz does.

Existing rows take the pass mark of their quiz; rows whose quiz was deleted since keep 0.6, Quiz.pass_mark's
default (and the share the recommender used for every quiz before).
"""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

FORMER_PASS_MARK = 0.6


def fill_pass_marks(apps, schema_editor):
    Quiz = apps.get_model("quizzes", "Quiz")
    for name in ("QuizAttemptRaw", "QuizAttemptClean"):
        rows = apps.get_model("ai", name).objects.filter(quiz_id__in=Quiz.objects.values("pk"))
        rows.update(
            pass_mark=Subquery(Quiz.objects.filter(pk=OuterRef("quiz_id")).values("pass_mark")[:1])
        )


class Migration(migrations.Migration):

    dependencies = [
        ("ai", "0002_pending_recommendation_refresh"),
        ("quizzes", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="quizattemptraw",
            name="pass_mark",
            field=models.FloatField(
                default=FORMER_PASS_MARK,
                help_text="The quiz's pass mark when it was attempted: the share of questions right that passes.",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="quizattemptclean",
            name="pass_mark",
            field=models.FloatField(default=FORMER_PASS_MARK),
            preserve_default=False,
        ),
        migrations.RunPython(fill_pass_marks, migrations.RunPython.noop),
    ]
