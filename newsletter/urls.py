from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from archive import views
from archive.api import api as public_api
from archive.publishing import sitemaps
from archive.publishing.sitemaps import SITEMAPS

urlpatterns = [
    path("admin/", admin.site.urls),
    path("_nested_admin/", include("nested_admin.urls")),
    # The language switcher's form. Choosing a language is no action on anyone's behalf, and
    # a CSRF token in every page would make the reader's pages uncacheable.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("api/", public_api.urls),
    # Email providers' tracking webhooks (django-anymail): bounces and complaints.
    path("anymail/", include("anymail.urls")),
    # For a load balancer: the process answers (nothing else is asked, not even the database).
    path("healthz", views.healthz, name="healthz"),
    path(
        "sitemap.xml",
        sitemaps.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    *i18n_patterns(path("", include("archive.urls")), prefix_default_language=False),
]
