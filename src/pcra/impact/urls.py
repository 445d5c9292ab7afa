from django.urls import path

from pcra.impact import views

app_name = "impact"

urlpatterns = [
    path("", views.index, name="index"),
    path("activity/<uuid:uuid>/", views.activity, name="activity"),
    path("activity/<uuid:uuid>/levels/", views.set_levels, name="set_levels"),
    path("activity/<uuid:uuid>/objectives/", views.objectives, name="objectives"),
    path("activity/<uuid:uuid>/start/", views.start, name="start"),
    path("activity/<uuid:uuid>/submit/", views.submit, name="submit"),
    path("activity/<uuid:uuid>/return-to-draft/", views.return_to_draft,
         name="return_to_draft"),
    path("activity/<uuid:uuid>/sign-off/", views.sign_off, name="sign_off"),
    path("version/<uuid:uuid>/", views.version, name="version"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<uuid:uuid>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<uuid:uuid>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<uuid:uuid>/delete/", views.campaign_delete, name="campaign_delete"),
    path("scale/", views.scale, name="scale"),
]
