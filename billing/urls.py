from django.urls import path

from billing import views

urlpatterns = [
    path("dashboard/billing", views.billing_page, name="dash-billing"),
    path("dashboard/billing/plan", views.change_plan, name="dash-billing-plan"),
    path("dashboard/billing/credits", views.buy_pack, name="dash-billing-pack"),
    path("dashboard/billing/portal", views.billing_portal, name="dash-billing-portal"),
    path("dashboard/billing/payments/<str:public_id>", views.payment_receipt, name="dash-billing-payment"),
]
