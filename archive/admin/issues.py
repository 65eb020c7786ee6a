"""Issues: composed on one page (sections, links, similar links, all reordered by dragging),
published now or at a time, imported from Markdown and exported back."""

import io
import zipfile

import nested_admin
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, Q
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..history import audit
from ..ingest import duplicates
from ..ingest.exporting import export_file_name
from ..ingest.loading import POSITION_OFFSET, issue_to_doc, load_issue
from ..ingest.urlnorm import clean_url, normalize_url
from ..issuemd import render_issue
from ..mailing import tasks as mailing_tasks
from ..models import AuditEvent, Issue, Link, Section
from ..publishing import tallies
from ..search import index as search_index
from .common import SavesEveryRowForm, TagInputForm, UrlCheckForm, search_link_ids
from .forms import ImportMarkdownForm
from .history import IssueHistoryAdmin, record_publication
from .mailings import IssueEmailAdmin


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


class ChildLinkInline(nested_admin.NestedTabularInline):
    model = Link
    fk_name = "parent"
    form = UrlCheckForm
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
    fields = [("category", "untitled"), "note", "position"]
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
class IssueAdmin(IssueHistoryAdmin, IssueEmailAdmin, nested_admin.NestedModelAdmin):
    list_display = ["label", "display_title", "date", "status_badge", "published_at", "links"]
    list_display_links = ["label", "display_title"]
    list_filter = [StatusFilter, "date"]
    search_fields = ["title"]  # see get_search_results: the site's search engine
    date_hierarchy = "published_at"
    ordering = Issue._meta.ordering
    fieldsets = [
        (
            None,
            {"fields": [("number", "date"), "title", ("published_at", "send_on_publish"), "slug"]},
        ),
        (_("Lede"), {"fields": ["lede_heading", "lede"]}),
        (_("Sharing"), {"fields": ["description", "image"], "classes": ["collapse"]}),
    ]
    inlines = [SectionInline]
    actions = ["publish_now", "unpublish", "export_markdown"]
    save_on_top = True

    class Media:
        js = ["archive/tag-autocomplete.js", "archive/composer.js"]
        css = {"all": ["archive/admin.css"]}

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
        before = {issue.pk: issue for issue in Issue.objects.filter(pk__in=ids)}
        count = Issue.objects.filter(pk__in=ids).update(published_at=now)
        for issue in Issue.objects.filter(pk__in=ids):
            record_publication(before[issue.pk], issue, request.user)
        search_index.schedule_issues(ids)
        tallies.schedule(issues=ids)
        for issue in Issue.objects.filter(pk__in=ids, send_on_publish=True):
            mailing_tasks.schedule_send(issue)
        self.message_user(
            request,
            ngettext("%d issue published.", "%d issues published.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish (back to draft)"))
    def unpublish(self, request, queryset):
        ids = list(queryset.exclude(published_at=None).values_list("pk", flat=True))
        before = {issue.pk: issue for issue in Issue.objects.filter(pk__in=ids)}
        count = Issue.objects.filter(pk__in=ids).update(published_at=None)
        for issue in Issue.objects.filter(pk__in=ids):
            record_publication(before[issue.pk], issue, request.user)
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
            *self.email_urls(),
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
                    doc,
                    publish=False,
                    source=form.cleaned_data.get("file_name") or "",
                    user=request.user,
                )
                if result.outcome != "unchanged":
                    audit.record(
                        AuditEvent.Action.IMPORT, result.issue, request.user, result.outcome
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
        for warning in duplicates.issue_warnings(form.instance):
            self.message_user(request, warning, messages.WARNING)
