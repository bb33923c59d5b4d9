from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from api.views import LearnifyGraphQLView
from learnify.accounts.admin import own_password_change_view
from learnify.core.health import health
from learnify.lessons.views import serve_media
from learnify.monitoring import metrics_view

admin.site.site_header = "Learnify administration"
admin.site.site_title = "Learnify admin"

# A database outage raised outside a view answers 503 + Retry-After, not 500.
handler500 = "learnify.core.unavailable.server_error"

urlpatterns = [
    path("api/health/", health, name="health"),
    # Tokens, not cookies, authenticate the API (sessions are ignored there), so CSRF does not apply.
    path("api/graphql/", csrf_exempt(LearnifyGraphQLView.as_view()), name="graphql"),
    path("metrics", metrics_view, name="metrics"),
    # Ahead of the admin site's own view: the old password is checked under the sign-in limits.
    path("admin/password_change/", own_password_change_view),
    path("admin/", admin.site.urls),
    path("portal/", include("portal.urls")),
    # Uploads, served with the type their bytes prove, in production too (MEDIA_URL is /media/).
    path("media/<path:path>", serve_media, name="media"),
]
