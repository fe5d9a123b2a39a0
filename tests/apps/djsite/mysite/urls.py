"""Views of the test Django project; each answers 500 unless the settings came from the config's env:."""

import threading
import time

from django.conf import settings
from django.http import HttpResponse
from django.urls import path

LOCK = threading.Lock()


def _seconds(request):
    return float(request.GET.get("ms", "50")) / 1000


def sleepy(request):
    if not getattr(settings, "CHOSEN_BY_ENV", False):
        return HttpResponse("DJANGO_SETTINGS_MODULE did not reach the server\n", status=500)
    time.sleep(_seconds(request))
    return HttpResponse("slept\n")


def locked(request):
    if not getattr(settings, "CHOSEN_BY_ENV", False):
        return HttpResponse("DJANGO_SETTINGS_MODULE did not reach the server\n", status=500)
    with LOCK:
        time.sleep(_seconds(request))
    return HttpResponse("slept behind a lock\n")


urlpatterns = [path("sleep", sleepy), path("locked", locked)]
