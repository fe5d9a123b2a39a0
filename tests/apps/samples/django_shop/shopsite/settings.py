"""Settings of the sample Django shop (what `django-admin startproject` writes, cut to what it uses)."""

SECRET_KEY = "burstcheck-sample-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "shopsite.urls"
INSTALLED_APPS = ["sales"]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
DATABASES = {}
USE_TZ = True
