from django.urls import path

from pcra.workbook import views

app_name = "workbook"
urlpatterns = [
    path("import/", views.import_upload, name="import"),
    path("import/preview/", views.import_preview, name="import_preview"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("export/", views.export, name="export"),
    path("template/", views.template, name="template"),
]
