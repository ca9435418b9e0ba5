"""The reviewer workspace, included by the root URLconf at review/."""

from django.urls import path

from casebridge.web.review import views

app_name = "review"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/<str:ref>/", views.case, name="case"),
    path("cases/<str:ref>/files/<int:number>/<int:position>", views.pack_file, name="file"),
]
