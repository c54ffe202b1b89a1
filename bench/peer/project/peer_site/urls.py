"""The helpdesk at /helpdesk/; its DRF API (tickets at /helpdesk/api/tickets/) comes with it."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("helpdesk/", include("helpdesk.urls")),
]
