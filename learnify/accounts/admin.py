from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from learnify.accounts.models import ChildProfile, Classroom, TeacherProfile, User
from learnify.core.admin_audit import AuditedAdminMixin


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    list_display = ["username", "role", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "email", "first_name"]
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Learnify", {"fields": ("role", "tokens_valid_after")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Learnify", {"fields": ("role",)}),
    )


@admin.register(TeacherProfile)
class TeacherProfileAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["display_name", "user", "school_name", "approved_at"]
    list_filter = [("approved_at", admin.EmptyFieldListFilter)]
    search_fields = ["display_name", "user__username", "school_name"]
    raw_id_fields = ["user", "approved_by"]


@admin.register(Classroom)
class ClassroomAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "kg_level", "school_year", "class_code", "archived_at"]
    list_filter = ["kg_level", "school_year", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "class_code"]
    filter_horizontal = ["teachers"]


@admin.register(ChildProfile)
class ChildProfileAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "display_name",
        "kg_level",
        "classroom",
        "birth_date",
        "enrolled_at",
        "archived_at",
    ]
    list_filter = ["kg_level", "classroom", ("archived_at", admin.EmptyFieldListFilter)]
    search_fields = ["display_name", "user__username", "classroom__name", "classroom__class_code"]
    raw_id_fields = ["user"]
    list_select_related = ["classroom"]
