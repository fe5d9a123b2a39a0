from django.urls import include, path
from sales import views

urlpatterns = [
    path("", views.index),
    path("health", views.health),
    path("products", views.products),
    path("products/<int:product_id>", views.product),
    path("sales/", include("sales.urls")),
]
