from django.urls import path

from api import views

urlpatterns = [
    path("templates", views.TemplateList.as_view(), name="template-list"),
    path("templates/<str:template_id>", views.TemplateDetail.as_view(), name="template-detail"),
    path("images", views.ImageList.as_view(), name="image-list"),
    path("images/<str:image_id>", views.ImageDetail.as_view(), name="image-detail"),
    path("account", views.AccountDetail.as_view(), name="account"),
]
