"""The inbox: links saved during the week (from the bookmarklet, the API, readers' suggestions
or by hand), triaged here, and added in one action to a draft issue, where they become links."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..ingest import outbound
from ..ingest.inbox import (
    add_items_to_issue,
    bookmarklet_key,
    bookmarklet_user,
    notices,
    revoke_bookmarklet_key,
    save_to_inbox,
)
from ..ingest.urlnorm import domain_of
from ..models import BookmarkletKey, Category, InboxItem, Issue, Link
from ..publishing.addresses import absolute


class InboxItemForm(forms.ModelForm):
    class Meta:
        model = InboxItem
        fields = ["url", "title", "note", "tags", "status", "suggested_by"]
        widgets = {"note": forms.Textarea(attrs={"rows": 4, "cols": 80})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tags"].widget.attrs.update(
            {
                "class": "vTextField tag-input",
                "autocomplete": "off",
                "data-suggest-url": reverse("admin:archive_link_tag_suggestions"),
            }
        )


class AddToIssueForm(forms.Form):
    """Where the chosen items go: a draft (or scheduled) issue, and the section of it for a
    category (made when the issue has none)."""

    issue = forms.ModelChoiceField(
        queryset=Issue.objects.none(), label=gettext_lazy("Issue"), empty_label=None
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.order_by("position", "name"), label=gettext_lazy("Category")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        unpublished = Q(published_at__isnull=True) | Q(published_at__gt=timezone.now())
        self.fields["issue"].queryset = Issue.objects.filter(unpublished)


class BookmarkletForm(forms.Form):
    url = forms.URLField(assume_scheme="https", max_length=2000)


def featured_annotations(queryset):
    """Where each item's URL was featured, as two subqueries (the list makes a fixed number
    of queries): how many links share it and the newest issue holding one."""
    same = Link.objects.filter(normalized_url=OuterRef("normalized_url"))
    newest = same.order_by("-rank").values("section__issue__number")[:1]
    count = same.values("normalized_url").annotate(n=Count("pk")).values("n")[:1]
    return queryset.annotate(
        featured_number=Subquery(newest), featured_count=Coalesce(Subquery(count), 0)
    )


@admin.register(InboxItem)
class InboxItemAdmin(admin.ModelAdmin):
    form = InboxItemForm
    list_display = [
        "item_title",
        "domain",
        "featured",
        "tag_names",
        "saved_by",
        "source",
        "created_at",
    ]
    list_filter = ["status", "source"]
    list_select_related = ["saved_by"]
    search_fields = ["title", "url", "note"]
    date_hierarchy = "created_at"
    readonly_fields = ["description", "saved_by", "source", "created_at", "link", "seen_before"]
    actions = ["add_to_issue", "discard", "restore"]

    class Media:
        js = ["archive/tag-autocomplete.js"]

    def get_queryset(self, request):
        return featured_annotations(super().get_queryset(request)).prefetch_related("tags")

    def get_changeform_initial_data(self, request):
        return {"url": request.GET.get("url", ""), "title": request.GET.get("title", "")}

    @admin.display(description=gettext_lazy("title"), ordering="title")
    def item_title(self, item):
        return item.title or item.url

    @admin.display(description=gettext_lazy("domain"))
    def domain(self, item):
        return domain_of(item.url)

    @admin.display(description=gettext_lazy("featured before"))
    def featured(self, item):
        if not item.featured_number:
            return "–"
        url = reverse("archive:issue", args=[item.featured_number])
        label = Issue(number=item.featured_number).label
        sentence = format_html(
            _("already featured in {issues}"), issues=format_html('<a href="{}">{}</a>', url, label)
        )
        if item.featured_count > 1:
            return format_html("{} (×{})", sentence, item.featured_count)
        return sentence

    @admin.display(description=gettext_lazy("tags"))
    def tag_names(self, item):
        return ", ".join(sorted(tag.name for tag in item.tags.all()))

    @admin.display(description=gettext_lazy("seen before"))
    def seen_before(self, item):
        found = notices(item) if item.pk else []
        return format_html("<br>".join(["{}"] * len(found)), *found) if found else "–"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.saved_by, obj.source = request.user, InboxItem.Source.ADMIN
            if not obj.title:
                try:
                    summary = outbound.page_summary(obj.url)
                    obj.title, obj.description = summary.title, summary.description
                except (outbound.Refused, outbound.FetchFailed) as error:
                    self.message_user(request, _("No title fetched: %s") % error, messages.WARNING)
        super().save_model(request, obj, form, change)
        for notice in notices(obj):
            self.message_user(request, notice, messages.WARNING)

    @admin.action(description=gettext_lazy("Add to a draft issue…"))
    def add_to_issue(self, request, queryset):
        items = list(queryset.filter(status=InboxItem.Status.NEW).order_by("created_at", "pk"))
        if not items:
            self.message_user(request, _("Choose items that wait in the inbox."), messages.WARNING)
            return None
        form = AddToIssueForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            issue, category = form.cleaned_data["issue"], form.cleaned_data["category"]
            links = add_items_to_issue(items, issue, category, request.user)
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    ngettext("%(count)d link added to", "%(count)d links added to", len(links))
                    % {"count": len(links)},
                    reverse("admin:archive_issue_change", args=[issue.pk]),
                    issue.display_title,
                ),
                messages.SUCCESS,
            )
            for item in items:
                for notice in notices(item):
                    self.message_user(
                        request, format_html("{}: {}", item, notice), messages.WARNING
                    )
            return None
        if not form["issue"].field.queryset.exists():
            self.message_user(request, _("There is no draft issue to add to."), messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Add to a draft issue"),
            "items": items,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/archive/inboxitem/add_to_issue.html", context)

    @admin.action(description=gettext_lazy("Discard"))
    def discard(self, request, queryset):
        count = queryset.filter(status=InboxItem.Status.NEW).update(
            status=InboxItem.Status.DISCARDED
        )
        self.message_user(
            request, ngettext("%d item discarded.", "%d items discarded.", count) % count
        )

    @admin.action(description=gettext_lazy("Back to waiting"))
    def restore(self, request, queryset):
        count = queryset.filter(status=InboxItem.Status.DISCARDED).update(
            status=InboxItem.Status.NEW
        )
        self.message_user(
            request, ngettext("%d item waits again.", "%d items wait again.", count) % count
        )

    def get_urls(self):
        return [
            path(
                "bookmarklet/",
                self.admin_site.admin_view(self.bookmarklet),
                name="archive_inboxitem_bookmarklet",
            ),
            path(
                "bookmarklet/save/",
                self.admin_site.admin_view(self.bookmarklet_save),
                name="archive_inboxitem_bookmarklet_save",
            ),
            *super().get_urls(),
        ]

    def bookmarklet(self, request):
        """The page with the button to drag to the bookmarks bar, and the editor's key: when
        it was made, when it expires, when it was last used; *Make a new key* (the old
        button stops working at once) and *Revoke*."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":  # the admin's views check the CSRF token
            if request.POST.get("key") == "revoke":
                revoke_bookmarklet_key(request.user)
                self.message_user(
                    request, _("Your bookmarklet key is revoked: the button no longer works.")
                )
                return HttpResponseRedirect(request.path)
            bookmarklet_key(request.user, renew=True)
            self.message_user(
                request,
                _("A new key: drag the button again, the old one no longer works."),
                messages.SUCCESS,
            )
            return HttpResponseRedirect(request.path)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Bookmarklet"),
        }
        key = bookmarklet_key(request.user)
        if key is not None:
            context["code"] = self.bookmarklet_code(request, key)
            context["key"] = BookmarkletKey.objects.get(user=request.user)
        return TemplateResponse(request, "admin/archive/inboxitem/bookmarklet.html", context)

    @staticmethod
    def bookmarklet_code(request, key):
        save = absolute(request, reverse("admin:archive_inboxitem_bookmarklet_save"))
        return (
            "javascript:(()=>{const s=getSelection().toString().slice(0,2000);"
            f"window.open('{save}?key={key}'"
            "+'&url='+encodeURIComponent(location.href)"
            "+'&title='+encodeURIComponent(document.title)"
            "+'&note='+encodeURIComponent(s),'lw_inbox','width=520,height=420')})()"
        )

    def bookmarklet_save(self, request):
        """Opened by the bookmarklet in a small window, on this site, with the editor's own
        session. Its key (signed, this editor's) is what tells a click on the bookmarklet
        from another site opening this address: with it the link is saved at once; without
        it, the editor confirms with a form (and its CSRF token)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        params = request.POST if request.method == "POST" else request.GET
        data = {
            "url": params.get("url", "").strip()[:2000],
            "title": params.get("title", "").strip()[:1000],
            "note": params.get("note", "").strip()[:5000],
        }
        trusted = bookmarklet_user(params.get("key", "")) == request.user.pk
        confirmed = request.method == "POST"  # the form carries Django's CSRF token
        context = {**self.admin_site.each_context(request), "title": _("Save to the inbox"), **data}
        if trusted or confirmed:
            if not BookmarkletForm(data).is_valid():
                context["error"] = _("That page has no http(s) address to save.")
            else:
                item = save_to_inbox(
                    url=data["url"],
                    title=data["title"],
                    note=data["note"],
                    user=request.user,
                    source=InboxItem.Source.BOOKMARKLET,
                )
                context.update(item=item, notices=notices(item))
        return TemplateResponse(request, "admin/archive/inboxitem/bookmarklet_save.html", context)
