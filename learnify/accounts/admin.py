from typing import Any

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.forms import AdminPasswordChangeForm as OwnPasswordChangeForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm as SetPasswordForUserForm
from django.contrib.auth.views import PasswordChangeView
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from learnify.accounts import services, tokens
from learnify.accounts.models import ChildProfile, Classroom, RefreshToken, TeacherProfile, User
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


def _too_many_attempts(exc: RateLimitedError) -> ValidationError:
    return ValidationError(
        _("Too many attempts. Please wait %(seconds)s seconds and try again."),
        code="rate_limited",
        params={"seconds": exc.retry_after},
    )


class OwnPasswordChangeThroughServicesForm(OwnPasswordChangeForm):
    """The admin site's "change my password": the old password is checked under the sign-in limits, and the
    new one stored by the same service as the API's password change (every earlier token revoked, audited)."""

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        try:
            services.check_current_password(user=self.user, current_password=old_password)
        except RateLimitedError as exc:
            raise _too_many_attempts(exc) from exc
        except ValidationError:
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            ) from None
        return old_password

    def save(self, commit: bool = True) -> Any:
        return services.store_new_password(
            user=self.user,
            new_password=self.cleaned_data["new_password1"],
            actor=self.user,
            action="user.password_changed",
        )


def own_password_change_view(request: HttpRequest) -> HttpResponseBase:
    """Stands in for AdminSite.password_change (routed ahead of it in learnify/urls.py) to use the form above."""
    request.current_app = admin.site.name  # type: ignore[attr-defined]
    view = PasswordChangeView.as_view(
        form_class=OwnPasswordChangeThroughServicesForm,
        success_url=reverse_lazy("admin:password_change_done"),
        extra_context=admin.site.each_context(request),
    )
    return admin.site.admin_view(view)(request)


class RevokingSetPasswordForm(SetPasswordForUserForm):
    """An admin setting another user's password: that user's earlier tokens stop working too.

    (UserAdmin.log_change audits the change with the acting admin; the portal's reset goes through
    services.reset_password, which does both.)
    """

    def save(self, commit: bool = True) -> Any:
        user = super().save(commit=commit)
        if commit:
            tokens.revoke_all_tokens(user, reason=RefreshToken.RevokedReason.PASSWORD_CHANGED)
        return user


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    list_display = ["username", "role", "is_active", "is_staff", "date_joined", "last_login"]
    list_filter = ["role", "is_active", "is_staff"]
    change_password_form = RevokingSetPasswordForm
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
