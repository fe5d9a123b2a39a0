from django.urls import path, re_path

from sales import views

urlpatterns = [
    path("report", views.report),
    re_path(r"^orders/(?P<order_id>[0-9]+)$", views.product),
]
