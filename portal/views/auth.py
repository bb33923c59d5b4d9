"""Signing in to the portal with a username and password (session, CSRF) and out again."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from learnify.accounts.sign_in import SignInError, authenticate_with_password
from learnify.core.exceptions import RateLimitedError
from learnify.core.services import record_audit_event
from portal.forms import SignInForm
from portal.http import PortalRequest, render_page


@require_http_methods(["GET", "POST"])
def login_view(request: PortalRequest) -> HttpResponse:
    """Sign a teacher or admin in; children use the tablet app."""
    if request.user.is_authenticated and request.method == "GET":
        return redirect("portal:home")
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = authenticate_with_password(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                channel="portal",
            )
        except SignInError as exc:
            form.add_error(None, str(exc))
            status = 400
        except RateLimitedError as exc:
            form.add_error(
                None,
                _("Too many attempts. Please wait %(seconds)s seconds and try again.")
                % {"seconds": exc.retry_after},
            )
            status = 429
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            next_url = request.POST.get("next") or request.GET.get("next") or ""
            if url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(next_url)
            return redirect("portal:home")
    return render_page(
        request,
        "portal/auth/login.html",
        {"form": form, "next": request.GET.get("next", "")},
        status=status,
    )


@require_POST
def logout_view(request: PortalRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record_audit_event(
            action="auth.logout",
            actor=request.user,
            target=request.user,
            metadata={"channel": "portal"},
        )
    logout(request)
    messages.success(request, _("You are signed out."))
    return redirect("portal:login")
