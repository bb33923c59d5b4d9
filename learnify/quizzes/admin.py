from django.contrib import admin

from learnify.core.admin_audit import AuditedAdminMixin
from learnify.quizzes.models import Answer, Choice, Question, Quiz, QuizAttempt


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["order", "prompt", "kind", "skill"]
    show_change_link = True


@admin.register(Quiz)
class QuizAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["title", "lesson", "pass_mark", "is_published"]
    list_filter = ["is_published", "lesson__kg_level"]
    search_fields = ["title", "lesson__title"]
    raw_id_fields = ["lesson"]
    inlines = [QuestionInline]


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0
    fields = ["order", "label", "is_correct", "image", "audio"]


@admin.register(Question)
class QuestionAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["prompt", "quiz", "kind", "skill", "order"]
    list_filter = ["kind", "skill__domain"]
    search_fields = ["prompt", "quiz__title"]
    raw_id_fields = ["quiz", "skill"]
    inlines = [ChoiceInline]


@admin.register(Choice)
class ChoiceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["label", "question", "is_correct", "order"]
    list_filter = ["is_correct"]
    search_fields = ["label", "question__prompt"]
    raw_id_fields = ["question"]


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    fields = ("question", "correct", "seconds", "chosen_order")
    readonly_fields = ("question", "correct", "seconds", "chosen_order")
    can_delete = False


@admin.register(QuizAttempt)
class QuizAttemptAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["child", "quiz", "score", "correct_count", "question_count", "finished_at"]
    list_filter = [("finished_at", admin.DateFieldListFilter), "quiz__lesson__kg_level"]
    search_fields = ["client_attempt_id", "child__display_name", "quiz__title"]
    raw_id_fields = ["child", "quiz"]
    inlines = [AnswerInline]
    list_select_related = ["child", "quiz"]


@admin.register(Answer)
class AnswerAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["attempt", "question", "correct", "seconds"]
    list_filter = ["correct"]
    search_fields = ["question__prompt", "attempt__client_attempt_id"]
    raw_id_fields = ["attempt", "question", "chosen_choices"]
