from django.urls import path

from pcra.core import audit_views as views

app_name = "audit"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("<int:pk>/", views.audit_detail, name="detail"),
    path("verify/", views.audit_verify, name="verify"),
]
