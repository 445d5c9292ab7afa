from django.urls import path

from pcra.plans import views

app_name = "plans"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.plan_create, name="plan_create"),
    path("binder.pdf", views.binder_pdf, name="binder_pdf"),
    path("<uuid:uuid>/", views.plan_detail, name="plan_detail"),
    path("<uuid:uuid>/edit/", views.plan_edit, name="plan_edit"),
    path("<uuid:uuid>/plan.docx", views.plan_docx, name="plan_docx"),
    path("<uuid:uuid>/<slug:action>/", views.plan_action, name="plan_action"),
    path("reflex-sheets/", views.sheet_list, name="sheet_list"),
    path("reflex-sheets/new/", views.sheet_create, name="sheet_create"),
    path("reflex-sheets/defaults/", views.sheet_defaults, name="sheet_defaults"),
    path("reflex-sheets/<uuid:uuid>/", views.sheet_detail, name="sheet_detail"),
    path("reflex-sheets/<uuid:uuid>/edit/", views.sheet_edit, name="sheet_edit"),
    path("reflex-sheets/<uuid:uuid>/delete/", views.sheet_delete, name="sheet_delete"),
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/<uuid:uuid>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<uuid:uuid>/delete/", views.contact_delete, name="contact_delete"),
]
