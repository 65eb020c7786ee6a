"""The editors' workplace: compose a whole issue on one page, publish it, curate links."""

import nested_admin
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, F, Q
from django.http import JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from taggit.models import Tag

from .loading import POSITION_OFFSET
from .models import Category, Issue, Link, Section

TAG_SUGGESTIONS = 15

admin.site.site_header = f"{settings.SITE_NAME} · editors"
admin.site.site_title = settings.SITE_NAME


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
    verbose_name_plural = _("similar links 相似的还有")


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
    search_fields = ["=number", "title", "lede", "sections__links__title"]
    date_hierarchy = "published_at"
    ordering = Issue._meta.ordering
    fieldsets = [
        (None, {"fields": [("number", "date"), "title", "published_at", "slug"]}),
        (_("Lede"), {"fields": ["lede_heading", "lede"]}),
    ]
    inlines = [SectionInline]
    actions = ["publish_now", "unpublish"]
    save_on_top = True

    class Media:
        js = ["archive/tag-autocomplete.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(link_count=Count("sections__links"))

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
        count = queryset.filter(Q(published_at__isnull=True) | Q(published_at__gt=now)).update(
            published_at=now
        )
        self.message_user(
            request,
            ngettext("%d issue published.", "%d issues published.", count) % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Unpublish (back to draft)"))
    def unpublish(self, request, queryset):
        count = queryset.exclude(published_at=None).update(published_at=None)
        self.message_user(
            request,
            ngettext("%d issue is a draft again.", "%d issues are drafts again.", count) % count,
            messages.SUCCESS,
        )

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
    list_display = ["title", "domain", "issue_number", "category", "tag_names"]
    list_filter = ["section__category", "section__issue__published_at"]
    list_select_related = ["section__issue", "section__category"]
    search_fields = ["title", "url", "domain", "annotation", "tags__name"]
    raw_id_fields = ["section", "parent"]
    fields = ["section", "parent", "position", "title", "url", "annotation", "tags"]

    class Media:
        js = ["archive/tag-autocomplete.js"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

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
    def category(self, link):
        return link.section.category

    @admin.display(description=_("tags"))
    def tag_names(self, link):
        return ", ".join(tag.name for tag in link.tags.all())
