"""Link health: the links the checker found gone or redirected, with what to do about them."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from ..history import audit, revisions
from ..models import AuditEvent, LinkHealth, Via, http_url_validator
from ..publishing import tallies

Verdict = LinkHealth.Verdict


class AttentionFilter(admin.SimpleListFilter):
    """The verdicts, with what needs an editor (gone or redirected) shown first."""

    title = gettext_lazy("verdict")
    parameter_name = "verdict"

    def lookups(self, request, model_admin):
        return [("attention", _("gone or redirected")), *Verdict.choices, ("all", _("all"))]

    def choices(self, changelist):
        for value, label in self.lookup_choices:
            yield {
                "selected": (self.value() or "attention") == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        value = self.value() or "attention"
        if value == "attention":
            return queryset.filter(verdict__in=[Verdict.GONE, Verdict.REDIRECTED])
        if value == "all":
            return queryset
        return queryset.filter(verdict=value)


class LinkHealthForm(forms.ModelForm):
    replacement = forms.URLField(
        label=gettext_lazy("Replace the URL with"),
        required=False,
        max_length=2000,
        assume_scheme="https",
        validators=[http_url_validator],
        help_text=gettext_lazy(
            "The link's new address, for one that moved without a redirect. It is checked again "
            "on the next run."
        ),
        widget=forms.URLInput(attrs={"class": "vURLField"}),
    )

    class Meta:
        model = LinkHealth
        fields = ["archived_url"]


@admin.register(LinkHealth)
class LinkHealthAdmin(admin.ModelAdmin):
    list_display = [
        "link_title",
        "address",
        "verdict",
        "answer",
        "failures",
        "failing_since",
        "checked_at",
        "archived",
    ]
    list_filter = [AttentionFilter]
    list_select_related = ["link__section__issue"]
    search_fields = ["link__title", "link__url", "final_url"]
    actions = ["accept_redirect", "mark_fine"]
    readonly_fields = ["link", *LinkHealth.FOUND]
    form = LinkHealthForm
    fields = [*readonly_fields, "replacement", "archived_url"]

    def has_add_permission(self, request):
        return False  # the checker makes them

    def save_model(self, request, health, form, change):
        replacement = form.cleaned_data.get("replacement")
        with transaction.atomic():
            if replacement and replacement != health.link.url:
                link = health.link
                issue = link.section.issue
                revisions.ensure_baseline(issue)
                old_url = link.url
                link.url = replacement
                link.save()  # cleaned, normalised, indexed, recounted like any edit
                note = f"{old_url} → {link.url}"
                revisions.record(issue, Via.URL, request.user, note)
                audit.record(AuditEvent.Action.URL, issue, request.user, note)
                # The new address is unchecked: nothing shown, first in the next run.
                health.checked_at, health.status, health.error = None, None, ""
                health.verdict, health.final_url, health.archived_url = "", "", ""
                health.failures, health.failing_since = 0, None
            super().save_model(request, health, form, change)
            tallies.changed()

    @admin.display(description=gettext_lazy("link"), ordering="link__title")
    def link_title(self, health):
        url = reverse("admin:archive_link_change", args=[health.link_id])
        return format_html('<a href="{}">{}</a>', url, health.link.title)

    @admin.display(description=gettext_lazy("URL"))
    def address(self, health):
        return format_html("<code>{}</code>", health.link.url[:80])

    @admin.display(description=gettext_lazy("answer"))
    def answer(self, health):
        found = str(health.status) if health.status else health.error[:60]
        if health.final_url:
            return format_html("{} → <code>{}</code>", found, health.final_url[:80])
        return found

    @admin.display(description=gettext_lazy("archived copy"))
    def archived(self, health):
        if not health.archived_url:
            return "–"
        return format_html('<a href="{}">{}</a>', health.archived_url, _("archived copy"))

    @admin.action(description=gettext_lazy("Accept the redirect: use the address it leads to"))
    def accept_redirect(self, request, queryset):
        moved = list(queryset.filter(verdict=Verdict.REDIRECTED).exclude(final_url=""))
        with transaction.atomic():
            for health in moved:
                link = health.link
                link.url = health.final_url
                link.save()  # cleaned, normalised, indexed, recounted like any edit
                health.verdict, health.final_url = Verdict.OK, ""
                health.save(update_fields=["verdict", "final_url"])
        self.message_user(
            request,
            ngettext(
                "%d link now uses its new address.",
                "%d links now use their new addresses.",
                len(moved),
            )
            % len(moved),
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Mark as fine"))
    def mark_fine(self, request, queryset):
        count = queryset.update(verdict=Verdict.OK, failures=0, failing_since=None, archived_url="")
        tallies.changed()
        self.message_user(
            request, ngettext("%d link marked as fine.", "%d links marked as fine.", count) % count
        )
