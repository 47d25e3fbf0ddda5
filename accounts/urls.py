from allauth.account import views as allauth_views
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView

# Sign-in is django-allauth's, under /accounts/ (docs/accounts.md). Its four entry
# pages keep their short paths and names, so links and LOGIN_URL stay as they were.
urlpatterns = [
    path("signup", allauth_views.signup, name="signup"),
    path("login", allauth_views.login, name="login"),
    path("logout", allauth_views.logout, name="logout"),
    path("password-reset/", allauth_views.password_reset, name="password_reset"),
    # Links from reset e-mails sent before allauth: ask for a new one.
    path("password-reset/<str:uidb64>/<str:token>", RedirectView.as_view(url=reverse_lazy("password_reset"))),
    path("accounts/", include("allauth.urls")),
]
