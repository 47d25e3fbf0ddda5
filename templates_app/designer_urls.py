"""The designer's pages and endpoints, and the public thumbnail files (included at the root)."""

from django.urls import path

from templates_app import designer

urlpatterns = [
    path("dashboard/templates/new", designer.new_template, name="designer-new"),
    path("dashboard/templates/<str:template_id>/edit", designer.designer, name="designer"),
    path("dashboard/templates/<str:template_id>/preview", designer.preview, name="designer-preview"),
    path("dashboard/templates/<str:template_id>/save", designer.save, name="designer-save"),
    path("dashboard/templates/<str:template_id>/render", designer.render_test_image, name="designer-test-render"),
    path("dashboard/templates/<str:template_id>/duplicate", designer.duplicate_template, name="designer-duplicate"),
    path("dashboard/templates/<str:template_id>/delete", designer.delete_template, name="designer-delete"),
    path("dashboard/templates/<str:template_id>/thumbnail.png", designer.thumbnail, name="template-thumbnail"),
    path("files/thumbnails/<str:token>/<str:filename>", designer.public_thumbnail, name="template-thumbnail-public"),
]
