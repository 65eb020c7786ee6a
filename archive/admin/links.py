"""Links, one at a time: edited, searched with the site's engine, tagged with suggestions."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import JsonResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag

from ..ingest import duplicates, outbound
from ..ingest.urlnorm import clean_url, normalize_url
from ..issuemd.inline import url_problem
from ..models import Link, may_preview
from .common import TagInputForm, search_link_ids
from .history import LinkHistoryAdmin

TAG_SUGGESTIONS = 15


@admin.register(Link)
class LinkAdmin(LinkHistoryAdmin, admin.ModelAdmin):
    form = TagInputForm
    list_display = ["title", "domain", "issue_number", "section_category", "tag_names"]
    list_filter = ["section__category", "section__issue__published_at"]
    list_select_related = ["section__issue", "section__category"]
    search_fields = ["title"]  # see get_search_results: the site's search engine
    raw_id_fields = ["section", "parent"]
    fields = ["section", "parent", "position", "title", "url", "annotation", "tags"]

    class Media:
        js = ["archive/tag-autocomplete.js", "archive/composer.js"]
        css = {"all": ["archive/admin.css"]}

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    def get_search_results(self, request, queryset, search_term):
        ids = search_link_ids(search_term)
        if ids is None:
            return queryset, False
        return queryset.filter(pk__in=ids), False

    def get_urls(self):
        return [
            path(
                "tag-suggestions/",
                self.admin_site.admin_view(self.tag_suggestions),
                name="archive_link_tag_suggestions",
            ),
            path(
                "check-url/",
                self.admin_site.admin_view(self.check_url),
                name="archive_link_check_url",
            ),
            path(
                "page-title/",
                self.admin_site.admin_view(self.page_title),
                name="archive_link_page_title",
            ),
            *super().get_urls(),
        ]

    def check_url(self, request):
        """For the composer, as an editor types: the URL as it will be stored, its normalised
        form (the script spots one URL twice in an issue with it), and where it was featured
        before (``issue``, the issue being composed, left out)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        url = request.GET.get("url", "").strip()[:2000]
        issue = request.GET.get("issue", "")
        exclude = int(issue) if issue.isdigit() else None
        link = request.GET.get("link", "")
        if url_problem(url):
            return JsonResponse({"normalized": "", "cleaned": url, "featured": [], "notice": ""})
        appearances = duplicates.featured_in(
            [url], exclude_issue=exclude, exclude_link=int(link) if link.isdigit() else None
        ).get(normalize_url(url), [])
        waiting = duplicates.in_inbox([url]).get(normalize_url(url), [])
        return JsonResponse(
            {
                "normalized": normalize_url(url),
                "cleaned": clean_url(url),
                "featured": [
                    {"label": a.label, "url": a.url, "published": a.published} for a in appearances
                ],
                "notice": duplicates.featured_sentence(appearances),
                # The same, for the composer to build as text: no HTML from an answer.
                "notice_pattern": str(_("already featured in {issues}")) if appearances else "",
                "separator": str(_(", ")),
                "in_inbox": len(waiting),
            }
        )

    def page_title(self, request):
        """The page's own title and description, fetched for an editor (archive.ingest.outbound)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        url = request.GET.get("url", "").strip()[:2000]
        try:
            summary = outbound.page_summary(url)
        except (outbound.Refused, outbound.FetchFailed) as error:
            return JsonResponse({"error": str(error)}, status=422)
        return JsonResponse({"title": summary.title, "description": summary.description})

    def tag_suggestions(self, request):
        """The most used tags starting with (then containing) ``q``, for the tag inputs:
        drafts' tags too, so only for those who may see drafts."""
        if not may_preview(request.user):
            raise PermissionDenied
        term = request.GET.get("q", "").strip()[:100]
        tags = Tag.objects.annotate(uses=Count("archive_taggedlink_items"))
        if term:
            tags = tags.filter(name__icontains=term)
        names = list(tags.order_by("-uses", "name").values_list("name", flat=True)[:50])
        names.sort(key=lambda name: not name.lower().startswith(term.lower()))
        return JsonResponse({"tags": names[:TAG_SUGGESTIONS]})

    @admin.display(description=_("issue"), ordering="section__issue__number")
    def issue_number(self, link):
        return link.section.issue.label

    @admin.display(description=_("category"), ordering="section__category__name")
    def section_category(self, link):
        return link.section.category

    @admin.display(description=_("tags"))
    def tag_names(self, link):
        return ", ".join(tag.name for tag in link.tags.all())
