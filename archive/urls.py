from django.urls import path, register_converter

from . import views
from .publishing import feeds


class UnicodeSlugConverter:
    """Slugs that keep Chinese: /categories/硬件加速/, /tags/大模型/."""

    regex = r"[-\w]+"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


class DomainConverter:
    regex = r"[^/\s\x00-\x1f\x7f]+"  # no controls: PostgreSQL takes no NUL in a query

    def to_python(self, value):
        return value.lower()

    def to_url(self, value):
        return value


register_converter(UnicodeSlugConverter, "uslug")
register_converter(DomainConverter, "domain")

app_name = "archive"
urlpatterns = [
    path("", views.home, name="home"),
    path("feed/", feeds.IssueFeed(), name="feed"),
    path("feed/rss/", feeds.IssueRssFeed(), name="feed_rss"),
    path("issues/", views.issue_list, name="issue_list"),
    path("years/<int:year>/", views.year_detail, name="year"),
    path("issues/<int:number>/", views.issue_detail, name="issue"),
    path("specials/<uslug:slug>/", views.issue_detail, name="special"),
    path("categories/", views.category_list, name="category_list"),
    path("categories/<uslug:slug>/", views.category_detail, name="category"),
    path("categories/<uslug:slug>/feed/", feeds.CategoryFeed(), name="category_feed"),
    path("tags/", views.tag_list, name="tag_list"),
    path("tags/<uslug:slug>/", views.tag_detail, name="tag"),
    path("tags/<uslug:slug>/feed/", feeds.TagFeed(), name="tag_feed"),
    path("domains/<domain:domain>/", views.domain_detail, name="domain"),
    path("domains/<domain:domain>/feed/", feeds.DomainFeed(), name="domain_feed"),
    path("links/<int:pk>/", views.link_detail, name="link"),
    path("search/", views.search, name="search"),
    path("suggest/", views.suggest, name="suggest"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
