"""Categories: ordered, described, and merged when an import made too many (an archive's
one-off essay headings become categories used once)."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..history import audit, revisions
from ..models import AuditEvent, Category, CategoryAlias, Issue, Link, Section, Via
from ..publishing import tallies
from ..search import index as search_index


class MergeForm(forms.Form):
    target = forms.ModelChoiceField(
        queryset=Category.objects.none(),
        label=gettext_lazy("Merge into"),
        empty_label=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = categories


def merge_categories(sources, target, user=None):
    """Move the sections (and so the links) of ``sources`` to ``target``, delete them, and
    keep their slugs as aliases of ``target`` so their old addresses redirect. Each issue
    touched gets a revision; the audit log says who merged what."""
    sources = [category for category in sources if category.pk != target.pk]
    with transaction.atomic():
        sections = Section.objects.filter(category__in=sources)
        issue_ids = set(sections.values_list("issue_id", flat=True))
        touched = list(Issue.objects.filter(pk__in=issue_ids))
        for issue in touched:
            revisions.ensure_baseline(issue)
        link_ids = list(Link.objects.filter(section__in=sections).values_list("pk", flat=True))
        sections.update(category=target)
        Link.objects.filter(pk__in=link_ids).update(category=target)  # kept on the link too
        CategoryAlias.objects.filter(category__in=sources).update(category=target)
        CategoryAlias.objects.bulk_create(
            [CategoryAlias(slug=category.slug, category=target) for category in sources],
            ignore_conflicts=True,
        )
        keys = [(tallies.Kind.CATEGORY, str(category.pk)) for category in sources]
        Category.objects.filter(pk__in=[category.pk for category in sources]).delete()
        tallies.schedule(issues=issue_ids, keys=keys)
        search_index.schedule(link_ids)
        note = ", ".join(category.name for category in sources) + f" → {target.name}"
        for issue in touched:
            revisions.record(issue, Via.MERGE, user, note)
        audit.record(AuditEvent.Action.MERGE, None, user, note)
    return len(sources), len(link_ids)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "links"]
    list_editable = ["position"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    view_on_site = True
    actions = ["merge"]

    def get_queryset(self, request):
        # An aggregate drops Meta.ordering, so the order is said again.
        return (
            super()
            .get_queryset(request)
            .annotate(link_count=Count("sections__links"))
            .order_by("position", "name")
        )

    @admin.display(description=gettext_lazy("links"), ordering="link_count")
    def links(self, category):
        return category.link_count

    @admin.action(description=gettext_lazy("Merge the selected categories…"))
    def merge(self, request, queryset):
        chosen = queryset.order_by("-link_count", "position", "name")
        if chosen.count() < 2:
            self.message_user(
                request, _("Choose at least two categories to merge."), messages.WARNING
            )
            return None
        form = MergeForm(request.POST if "apply" in request.POST else None, categories=chosen)
        if form.is_valid():
            target = form.cleaned_data["target"]
            merged, moved = merge_categories(list(chosen), target, request.user)
            self.message_user(
                request,
                ngettext(
                    "%(count)d category merged into “%(target)s”: %(links)d links moved; its "
                    "old address now leads there.",
                    "%(count)d categories merged into “%(target)s”: %(links)d links moved; their "
                    "old addresses now lead there.",
                    merged,
                )
                % {"count": merged, "target": target.name, "links": moved},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Merge categories"),
            "categories": chosen,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/archive/category/merge.html", context)


@admin.register(CategoryAlias)
class CategoryAliasAdmin(admin.ModelAdmin):
    list_display = ["slug", "category"]
    list_select_related = ["category"]
    search_fields = ["slug", "category__name"]
    autocomplete_fields = ["category"]
