"""History in the admin: an issue's revisions and what changed between any two, *Restore
this revision*, the composer's guard against two editors overwriting each other, the trash,
and the audit log (which nobody can edit or delete)."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..history import audit, diff, revisions, trash
from ..models import AuditEvent, Issue, Revision, TrashItem, Via


class IssueForm(forms.ModelForm):
    """The composer's form: it knows the revision it was opened on. Saving over a newer one
    is refused (the editor sees what changed, keeps what they typed, and may apply theirs on
    top), unless ``apply_anyway`` says so."""

    base_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)
    apply_anyway = forms.BooleanField(
        required=False,
        label=_("Save my version over the other editor's"),
        help_text=_("Their version stays in the history, from where it can be restored."),
    )

    class Meta:
        model = Issue
        fields = ["title"]  # the admin's fieldsets name the fields it shows

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict = None
        if self.instance.pk and not self.is_bound:
            latest = revisions.record(
                self.instance,
                Via.OTHER if Revision.objects.filter(issue=self.instance).exists() else Via.BEFORE,
            )
            self.initial["base_revision"] = latest.pk

    def clean(self):
        cleaned = super().clean()
        base_pk = cleaned.get("base_revision")
        if not self.instance.pk or base_pk is None:
            return cleaned
        base = Revision.objects.filter(pk=base_pk, issue=self.instance).first()
        current = Issue.objects.get(pk=self.instance.pk)
        text = revisions.markdown_of(current)
        if base is None or base.digest == revisions.digest_of(text):
            return cleaned
        newer = revisions.record(current, Via.OTHER)
        self.conflict = {
            "base": base,
            "newer": newer,
            "changes": diff.diff(base.markdown, newer.markdown),
        }
        if not cleaned.get("apply_anyway"):
            raise forms.ValidationError(
                _(
                    "Another editor saved this issue after you opened it. Their changes are "
                    "listed above; nothing you typed is lost. Reload to start from their "
                    "version, or tick the box below to save yours over it."
                ),
                code="conflict",
            )
        return cleaned


class IssueHistoryAdmin:
    """Mixed into IssueAdmin: the composer's revisions, trash and audit hooks."""

    form = IssueForm

    def render_change_form(self, request, context, *args, **kwargs):
        form = context.get("adminform").form if context.get("adminform") else None
        context["conflict"] = getattr(form, "conflict", None)
        return super().render_change_form(request, context, *args, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        # The box to save over another editor's version shows once a save was refused.
        extra = ["base_revision", "apply_anyway"] if request.method == "POST" else ["base_revision"]
        return [*fieldsets, (None, {"fields": extra, "classes": ["conflict-row"]})]

    def save_model(self, request, obj, form, change):
        before = Issue.objects.filter(pk=obj.pk).first() if change else None
        if before is not None:
            revisions.ensure_baseline(before)
        super().save_model(request, obj, form, change)
        record_publication(before, obj, request.user)

    def save_related(self, request, form, formsets, change):
        with trash.collecting(request.user):
            super().save_related(request, form, formsets, change)
        revisions.record(form.instance, Via.ADMIN, request.user)

    def delete_model(self, request, obj):
        trash.trash_issue(obj, request.user)

    def delete_queryset(self, request, queryset):
        for issue in queryset:
            trash.trash_issue(issue, request.user)

    def history_view(self, request, object_id, extra_context=None):
        issue = get_object_or_404(Issue, pk=object_id)
        if not self.has_view_permission(request, issue):
            raise PermissionDenied
        if request.method == "POST" and "restore" in request.POST:
            if not self.has_change_permission(request, issue):
                raise PermissionDenied
            revision = get_object_or_404(Revision, pk=request.POST["restore"], issue=issue)
            revisions.restore(revision, request.user)
            self.message_user(
                request,
                _t("Restored the revision of %(when)s, kept as a new revision.")
                % {"when": timezone.localtime(revision.created_at).strftime("%Y-%m-%d %H:%M")},
                messages.SUCCESS,
            )
            return redirect("admin:archive_issue_history", issue.pk)
        history = list(
            Revision.objects.filter(issue=issue).select_related("user").defer("markdown")
        )
        compared = None
        ids = [request.GET.get("old"), request.GET.get("new")]
        if all(ids) and all(i.isdigit() for i in ids):
            old, new = (Revision.objects.filter(issue=issue, pk=int(i)).first() for i in ids)
            if old and new:
                compared = {
                    "old": old,
                    "new": new,
                    "changes": diff.diff(old.markdown, new.markdown),
                }
        elif len(history) >= 2:
            compared = {
                "old": Revision.objects.get(pk=history[1].pk),
                "new": Revision.objects.get(pk=history[0].pk),
            }
            compared["changes"] = diff.diff(compared["old"].markdown, compared["new"].markdown)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _t("History: %(issue)s") % {"issue": issue.display_title},
            "issue": issue,
            "original": issue,
            "history": history,
            "compared": compared,
            "events": AuditEvent.objects.filter(issue=issue).select_related("user")[:100],
            "may_restore": self.has_change_permission(request, issue),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/archive/issue/history.html", context)


class LinkHistoryAdmin:
    """Mixed into LinkAdmin: a link edited or deleted on its own page is a change of its
    issue (a revision), and a deleted one goes to the trash."""

    def save_model(self, request, obj, form, change):
        issues = issues_of([obj.pk] if change else [], [obj.section_id])
        for issue in issues:
            revisions.ensure_baseline(issue)
        super().save_model(request, obj, form, change)
        self.recorded = issues

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # its tags
        for issue in issues_of([], [form.instance.section_id]) | set(self.recorded):
            revisions.record(issue, Via.ADMIN, request.user)

    def delete_model(self, request, obj):
        self.delete_queryset(request, type(obj).objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        issues = issues_of(list(queryset.values_list("pk", flat=True)), [])
        for issue in issues:
            revisions.ensure_baseline(issue)
        with trash.collecting(request.user):
            for link in queryset:
                link.delete()
        for issue in issues:
            revisions.record(issue, Via.ADMIN, request.user)


def issues_of(link_ids, section_ids):
    from django.db.models import Q

    return set(Issue.objects.filter(Q(sections__links__in=link_ids) | Q(sections__in=section_ids)))


def record_publication(before, after, user):
    """Publish, unpublish and schedule, as the audit log says them."""
    old = before.published_at if before is not None else None
    new = after.published_at
    if old == new:
        return
    if new is None:
        action = AuditEvent.Action.UNPUBLISH
    elif new > timezone.now():
        action = AuditEvent.Action.SCHEDULE
    else:
        action = AuditEvent.Action.PUBLISH
    audit.record(action, after, user, f"{new:%Y-%m-%d %H:%M}" if new else "")


class ReadOnly:
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["at", "username", "action", "issue_label", "detail"]
    list_filter = ["action", "at"]
    search_fields = ["issue_label", "username", "detail"]
    date_hierarchy = "at"

    def has_delete_permission(self, request, obj=None):
        return False  # the record stands


@admin.register(TrashItem)
class TrashItemAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["label", "kind", "issue_label", "deleted_by", "deleted_at"]
    list_filter = ["kind", "deleted_at"]
    search_fields = ["label", "issue_label"]
    actions = ["restore"]
    readonly_fields = ["kind", "label", "issue_label", "deleted_by", "deleted_at", "markdown"]
    fields = readonly_fields

    @admin.action(description=_("Restore"), permissions=["view"])
    def restore(self, request, queryset):
        if not request.user.has_perm("archive.change_issue"):
            raise PermissionDenied
        restored = 0
        order = {TrashItem.Kind.ISSUE: 0, TrashItem.Kind.SECTION: 1, TrashItem.Kind.LINK: 2}
        items = sorted(queryset, key=lambda item: (order[item.kind], item.deleted_at))
        for item in items:  # an issue before its sections, a section before its links
            try:
                trash.restore(item, request.user)
                restored += 1
            except trash.CannotRestore as error:
                self.message_user(request, f"{item}: {error}", messages.ERROR)
        if restored:
            self.message_user(
                request,
                ngettext("%d item restored.", "%d items restored.", restored) % restored,
                messages.SUCCESS,
            )
