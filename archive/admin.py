"""The editors' workplace: compose a whole issue on one page, publish it, curate links."""

import io
import zipfile

import nested_admin
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from taggit.models import Tag

from . import tallies
from .exporting import export_file_name
from .forms import ImportMarkdownForm
from .issuemd import render_issue
from .loading import POSITION_OFFSET, issue_to_doc, load_issue
from .models import Category, Issue, Link, Section
from .search import engine
from .search import index as search_index
from .search.tokens import parse_query
from .urlnorm import clean_url, normalize_url

TAG_SUGGESTIONS = 15

admin.site.site_header = format_lazy("{} · {}", settings.SITE_NAME, _("editors"))
admin.site.site_title = settings.SITE_NAME


def search_link_ids(term):
    """Links matching ``term`` through the site's search engine, drafts included; None when
    the term holds nothing to search for."""
    query = parse_query(term)
    if not query:
        return None
    filters = engine.Filters(published_only=False)
    return engine.search(query, filters, limit=engine.MATCH_CAP).ids


def import_preview(doc):
    """What importing ``doc`` would do: the issue it replaces, and for each entry the earlier
    issues that featured the same page (one query for all of them)."""
    same = {"number": doc.number} if doc.number is not None else {"slug": doc.slug}
    existing = Issue.objects.filter(**same).first()
    entries = list(doc.iter_entries())
    normalized = {normalize_url(entry.url) for entry in entries if entry.url}
    featured = {}
    earlier = (
        Link.objects.filter(normalized_url__in=normalized)
        .exclude(section__issue=existing)
        .select_related("section__issue")
        .order_by("-section__issue__number")
    )
    for link in earlier:
        featured.setdefault(link.normalized_url, []).append(link.section.issue)
    for entry in entries:
        entry.cleaned_url = clean_url(entry.url) if entry.url else ""
    sections = [
        (
            section,
            [
                (entry, featured.get(normalize_url(entry.url), []) if entry.url else [])
                for entry in section.entries
            ],
        )
        for section in doc.sections
    ]
    return {
        "doc": doc,
        "existing": existing,
        "sections": sections,
        "link_count": len(entries),
        "repeats": sum(1 for entry in entries if featured.get(normalize_url(entry.url))),
        "cleaned": sum(1 for entry in entries if entry.cleaned_url != entry.url),
    }


class SavesEveryRowForm(forms.ModelForm):
    """Inline rows are all written again on save, in their new order.

    The issue's positions are first moved out of the way (``IssueAdmin.save_related``), so
    reordering never collides with the unique-position constraints mid-save; each existing row
    therefore has to be written back with its final position, changed or not.
    """

    def has_changed(self):
        return bool(self.instance.pk) or super().has_changed()


class TagInputForm(SavesEveryRowForm):
    class Meta:
        widgets = {"annotation": forms.Textarea(attrs={"rows": 3, "cols": 80})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "tags" in self.fields:
            self.fields["tags"].widget.attrs.update(
                {
                    "class": "vTextField tag-input",
                    "autocomplete": "off",
                    "data-suggest-url": reverse("admin:archive_link_tag_suggestions"),
                }
            )


class ChildLinkInline(nested_admin.NestedTabularInline):
    model = Link
    fk_name = "parent"
    form = SavesEveryRowForm
    fields = ["title", "url", "position"]
    sortable_field_name = "position"
    extra = 0
    verbose_name = _("similar link")
    verbose_name_plural = _("similar links")


class LinkInline(nested_admin.NestedStackedInline):
    model = Link
    fk_name = "section"
    form = TagInputForm
    fields = [("title", "url"), "annotation", "tags", "position"]
    sortable_field_name = "position"
    inlines = [ChildLinkInline]
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).filter(parent=None)


class SectionInline(nested_admin.NestedStackedInline):
    model = Section
    form = SavesEveryRowForm
    fields = ["category", "note", "position"]
    sortable_field_name = "position"
    autocomplete_fields = ["category"]
    inlines = [LinkInline]
    extra = 0


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Issue.Status.choices

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case Issue.Status.DRAFT:
                return queryset.filter(published_at__isnull=True)
            case Issue.Status.SCHEDULED:
                return queryset.filter(published_at__gt=now)
            case Issue.Status.PUBLISHED:
                return queryset.filter(published_at__lte=now)
        return queryset


@admin.register(Issue)
class IssueAdmin(nested_admin.NestedModelAdmin):
    list_display = ["label", "display_title", "date", "status_badge", "published_at", "links"]
    list_display_links = ["label", "display_title"]
    list_filter = [StatusFilter, "date"]
    search_fields = ["title"]  # see get_search_results: the site's search engine
    date_hierarchy = "published_at"
    ordering = Issue._meta.ordering
    fieldsets = [
        (None, {"fields": [("number", "date"), "title", "published_at", "slug"]}),
        (_("Lede"), {"fields": ["lede_heading", "lede"]}),
    ]
    inlines = [SectionInline]
    actions = ["publish_now", "unpublish", "export_markdown"]
    save_on_top = True

    class Media:
        js = ["archive/tag-autocomplete.js"]

    def get_search_results(self, request, queryset, search_term):
        """Issues whose number or title match, or holding links the search engine finds."""
        term = search_term.strip()
        if not term:
            return queryset, False
        matches = Q(title__icontains=term) | Q(slug=term)
        if term.isdigit():
            matches |= Q(number=int(term))
        ids = search_link_ids(term)
        if ids:
            matches |= Q(pk__in=Section.objects.filter(links__in=ids).values("issue_id"))
        return queryset.filter(matches), False

    @admin.display(description=_("number"), ordering="number")
    def label(self, issue):
        return issue.label

    @admin.display(description=_("title"))
    def display_title(self, issue):
        return issue.display_title

    @admin.display(description=_("links"), ordering="link_count")
    def links(self, issue):
        return issue.link_count

    @admin.display(description=_("status"))
    def status_badge(self, issue):
        status = issue.status
        return format_html('<span class="status status-{}">{}</span>', status, status.label)

    @admin.action(description=_("Publish now"))
    def publish_now(self, request, queryset):
        now = timezone.now()
        chosen = queryset.filter(Q(published_at__isnull=True) | Q(published_at__gt=now))
        ids = list(chosen.values_list("pk", flat=True))
        count = Issue.objects.filter(pk__in=ids).update(published_at=now)
        search_index.schedule_issues(ids)
        tallies.schedule(issues=ids)
        self.message_user(
            request,
            ngettext("%d issue published.", "%d issues published.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish (back to draft)"))
    def unpublish(self, request, queryset):
        ids = list(queryset.exclude(published_at=None).values_list("pk", flat=True))
        count = Issue.objects.filter(pk__in=ids).update(published_at=None)
        search_index.schedule_issues(ids)
        tallies.schedule(issues=ids)
        self.message_user(
            request,
            ngettext("%d issue is a draft again.", "%d issues are drafts again.", count) % count,
            messages.SUCCESS,
        )

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_markdown),
                name="archive_issue_import",
            ),
            *super().get_urls(),
        ]

    def import_markdown(self, request):
        """Paste or upload an issue in Markdown, preview it, confirm to get a draft."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportMarkdownForm(request.POST or None, request.FILES or None)
        preview = None
        if request.method == "POST" and form.is_valid():
            doc = form.cleaned_data["doc"]
            if "confirm" in request.POST:
                result = load_issue(
                    doc, publish=False, source=form.cleaned_data.get("file_name") or ""
                )
                outcomes = {
                    "created": _("%(label)s created from Markdown: %(links)d links."),
                    "updated": _("%(label)s updated from Markdown: %(links)d links."),
                    "unchanged": _("%(label)s is unchanged: it says what the Markdown says."),
                }
                self.message_user(
                    request,
                    outcomes[result.outcome] % {"label": result.issue.label, "links": result.links},
                    messages.SUCCESS,
                )
                return redirect("admin:archive_issue_change", result.issue.pk)
            preview = import_preview(doc)
            form = ImportMarkdownForm(
                initial={
                    "markdown": form.cleaned_data["markdown"],
                    "file_name": form.cleaned_data.get("file_name", ""),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import Markdown"),
            "form": form,
            "preview": preview,
        }
        return TemplateResponse(request, "admin/archive/issue/import.html", context)

    @admin.action(description=_("Export as Markdown"))
    def export_markdown(self, request, queryset):
        issues = list(queryset.order_by("number"))
        if len(issues) == 1:
            issue = issues[0]
            response = HttpResponse(
                render_issue(issue_to_doc(issue)), content_type="text/markdown; charset=utf-8"
            )
            response["Content-Disposition"] = f'attachment; filename="{export_file_name(issue)}"'
            return response
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for issue in issues:
                archive.writestr(export_file_name(issue), render_issue(issue_to_doc(issue)))
        response = HttpResponse(buffer.getvalue(), content_type="application/zip")
        response["Content-Disposition"] = 'attachment; filename="issues.zip"'
        return response

    def save_related(self, request, form, formsets, change):
        if change:
            issue = form.instance
            Section.objects.filter(issue=issue).update(position=F("position") + POSITION_OFFSET)
            Link.objects.filter(section__issue=issue).update(
                position=F("position") + POSITION_OFFSET
            )
        super().save_related(request, form, formsets, change)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "links"]
    list_editable = ["position"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    view_on_site = True

    def get_queryset(self, request):
        # An aggregate drops Meta.ordering, so the order is said again.
        return (
            super()
            .get_queryset(request)
            .annotate(link_count=Count("sections__links"))
            .order_by("position", "name")
        )

    @admin.display(description=_("links"), ordering="link_count")
    def links(self, category):
        return category.link_count


@admin.register(Link)
class LinkAdmin(admin.ModelAdmin):
    form = TagInputForm
    list_display = ["title", "domain", "issue_number", "section_category", "tag_names"]
    list_filter = ["section__category", "section__issue__published_at"]
    list_select_related = ["section__issue", "section__category"]
    search_fields = ["title"]  # see get_search_results: the site's search engine
    raw_id_fields = ["section", "parent"]
    fields = ["section", "parent", "position", "title", "url", "annotation", "tags"]

    class Media:
        js = ["archive/tag-autocomplete.js"]

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
            *super().get_urls(),
        ]

    def tag_suggestions(self, request):
        """The most used tags starting with (then containing) ``q``, for the tag inputs."""
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
