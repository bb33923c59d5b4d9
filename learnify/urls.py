from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

from learnify.core.health import health
from learnify.core.metrics import metrics_view
from schema.views import LearnifyGraphQLView

admin.site.site_header = "Learnify administration"
admin.site.site_title = "Learnify admin"

urlpatterns = [
    path("api/health/", health, name="health"),
    # Tokens, not cookies, authenticate the API (sessions are ignored there), so CSRF does not apply.
    path("api/graphql/", csrf_exempt(LearnifyGraphQLView.as_view()), name="graphql"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("portal/", include("portal.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
