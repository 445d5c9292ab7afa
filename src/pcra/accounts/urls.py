from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import path

from pcra.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    # Log out is a POST (Django); anonymous visitors are sent to the login page.
    path("logout/", login_required(auth_views.LogoutView.as_view()), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    # Members of an organization (its uuid), one membership by the member's username.
    path("organizations/<uuid:uuid>/members/add/", views.membership_add, name="membership_add"),
    path("organizations/<uuid:uuid>/members/<str:username>/edit/", views.membership_edit,
         name="membership_edit"),
    path("organizations/<uuid:uuid>/members/<str:username>/delete/", views.membership_delete,
         name="membership_delete"),
]
