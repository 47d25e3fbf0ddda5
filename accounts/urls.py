from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views

urlpatterns = [
    path("signup", views.signup_view, name="signup"),
    path("login", views.login_view, name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(template_name="accounts/password_reset_form.html"),
        name="password_reset",
    ),
    path(
        "password-reset/sent",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html", success_url=reverse_lazy("password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done",
        auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("dashboard/profile", views.profile, name="profile"),
    path("dashboard/keys", views.keys, name="dash-keys"),
    path("dashboard/keys/<str:key_id>/revoke", views.revoke_key, name="dash-key-revoke"),
    path("dashboard/secrets/<str:which>", views.reveal_secret, name="dash-secret"),
    path("dashboard/secrets/<str:which>/roll", views.roll_secret, name="dash-secret-roll"),
]
