from django.urls import include, path

from casebridge.web import views

urlpatterns = [
    path("healthz", views.health, name="health"),
    path("accounts/", include("allauth.urls")),
]
