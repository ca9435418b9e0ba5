"""The reviewer workspace, included by the root URLconf at review/."""

from django.urls import path

from casebridge.web.review import views, views_images, views_opinion

app_name = "review"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/<str:ref>/", views.case, name="case"),
    path("cases/<str:ref>/files/<int:number>/<int:position>", views.pack_file, name="file"),
    path(
        "cases/<str:ref>/images/<int:row>/web-viewer/<path:path>",
        views_images.viewer,
        name="viewer",
    ),
    path(
        "cases/<str:ref>/images/<int:row>/slide/<path:path>",
        views_images.slide,
        name="slide",
    ),
    path("cases/<str:ref>/opinion/mine", views_opinion.my_opinion, name="my_opinion"),
    path("cases/<str:ref>/opinion/team", views_opinion.team_opinion, name="team_opinion"),
    path("cases/<str:ref>/opinion/<int:number>/sign", views_opinion.sign, name="sign"),
]
