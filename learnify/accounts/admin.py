from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from learnify.accounts.models import ChildProfile, Classroom, TeacherProfile, User
from learnify.accounts.sign_in import SignInError, authenticate_with_password
from learnify.core.admin_audit import AuditedAdminMixin
from learnify.core.exceptions import RateLimitedError
from learnify.core.services import record_audit_event


class RateLimitedAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin site's sign-in, through the same limits and audit entries as the API and the portal.

    Django's own form calls authenticate() directly, which would leave /admin/login/ an unlimited door for
    guessing the passwords of the accounts that matter most.
    """

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = authenticate_with_password(
                    username=username, password=password, channel="admin"
                )
            except SignInError:
                raise self.get_invalid_login_error() from None
            except RateLimitedError as exc:
                raise ValidationError(
                    _("Too many attempts. Please wait %(seconds)s seconds and try again."),
                    code="rate_limited",
                    params={"seconds": exc.retry_after},
                ) from exc
            try:
                self.confirm_login_allowed(self.user_cache)
            except ValidationError:
                # The password was right but the account may not use the admin site (a teacher).
                record_audit_event(
                    action="auth.login_failed",
                    target=self.user_cache,
                    metadata={
                        "username": username[:150],
                        "channel": "admin",
                        "reason": "not staff",
                    },
                )
                raise
        return self.cleaned_data


admin.site.login_form = RateLimitedAdminAuthenticationForm


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
