from django.urls import path, register_converter

from . import views


class UnicodeSlugConverter:
    """Slugs that keep Chinese: /categories/硬件加速/, /tags/大模型/."""

    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class DomainConverter:
    regex = r"[^/\s]+"

    def to_python(self, value):
        return value.lower()

    def to_url(self, value):
        return value


register_converter(UnicodeSlugConverter, "uslug")
register_converter(DomainConverter, "domain")

app_name = "archive"
urlpatterns = [
    path("", views.home, name="home"),
    path("issues/", views.issue_list, name="issue_list"),
    path("issues/<int:number>/", views.issue_detail, name="issue"),
    path("specials/<uslug:slug>/", views.issue_detail, name="special"),
    path("categories/", views.category_list, name="category_list"),
    path("categories/<uslug:slug>/", views.category_detail, name="category"),
    path("tags/", views.tag_list, name="tag_list"),
    path("tags/<uslug:slug>/", views.tag_detail, name="tag"),
    path("domains/<domain:domain>/", views.domain_detail, name="domain"),
    path("links/<int:pk>/", views.link_detail, name="link"),
    path("search/", views.search, name="search"),
]
