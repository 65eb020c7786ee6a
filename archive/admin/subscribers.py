"""Subscribers in the admin: the list with its counts, a CSV import of people who consented
(all or nothing, bad rows named by line), a CSV export, and *Forget*, which erases an address."""

import csv
import io

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..mailing.subscribers import normalized
from ..models import Subscriber

MAX_CSV_BYTES = 10 * 1024 * 1024
HEADER_NAMES = {"email", "e-mail", "address", "email address", "邮箱", "电子邮件", "地址"}
EXPORT_FIELDS = [
    "address",
    "status",
    "language",
    "source",
    "subscribed_at",
    "confirmed_at",
    "left_at",
    "hard_bounces",
]


class CsvImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "One address a row, in the first column; a second column may give the language "
            "(zh-hans or en). A header row is recognised and skipped."
        ),
    )
    language = forms.ChoiceField(
        label=_("Language of rows that give none"),
        choices=settings.LANGUAGES,
        initial=settings.LANGUAGE_CODE,
    )
    consented = forms.BooleanField(
        label=_("Every person in this file asked to get the newsletter, and I can show it."),
        help_text=_(
            "They are subscribed at once, without a confirmation email. Addresses already "
            "known keep their status: nobody who left is subscribed again."
        ),
    )


def read_rows(data, default_language):
    """([(line, address, language)], [(line, error)]) of an uploaded CSV file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [(0, _("The file is not UTF-8 text."))]
    rows, errors, seen = [], [], {}
    languages = dict(settings.LANGUAGES)
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if line == 1 and cells[0].lower() in HEADER_NAMES:
            continue
        address = cells[0]
        language = (cells[1] if len(cells) > 1 and cells[1] else default_language).lower()
        try:
            if any(ord(c) < 32 for c in address) or len(address) > 254:
                raise forms.ValidationError("")
            validate_email(address)
        except forms.ValidationError:
            errors.append(
                (line, _("“%(address)s” is not an email address.") % {"address": address})
            )
            continue
        if language not in languages:
            errors.append(
                (line, _("“%(language)s” is not a language of this site.") % {"language": language})
            )
            continue
        key = address.lower()
        if key in seen:
            errors.append(
                (
                    line,
                    _("%(address)s is already on line %(line)d.")
                    % {"address": address, "line": seen[key]},
                )
            )
            continue
        seen[key] = line
        rows.append((line, normalized(address), language))
    return rows, errors


def import_rows(rows):
    """Subscribe the rows' addresses that are not known yet: (added, already known)."""
    known = set()
    lowered = [address.lower() for _line, address, _language in rows]
    for start in range(0, len(lowered), 500):
        known.update(
            Subscriber.objects.annotate(lowered=Lower("address"))
            .filter(lowered__in=lowered[start : start + 500])
            .values_list("lowered", flat=True)
        )
    now = timezone.now()
    new = [
        Subscriber(
            address=address,
            language=language,
            status=Subscriber.Status.ACTIVE,
            source=Subscriber.Source.IMPORT,
            subscribed_at=now,
            confirmed_at=now,
        )
        for _line, address, language in rows
        if address.lower() not in known
    ]
    with transaction.atomic():
        Subscriber.objects.bulk_create(new, batch_size=1000)
    return len(new), len(rows) - len(new)


class Echo:
    def write(self, value):
        return value


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["address", "status", "language", "source", "subscribed_at", "confirmed_at"]
    list_filter = ["status", "language", "source"]
    show_facets = admin.ShowFacets.ALWAYS  # each filter shows its counts
    search_fields = ["address"]
    date_hierarchy = "subscribed_at"
    readonly_fields = ["source", "subscribed_at", "confirmed_at", "left_at", "hard_bounces"]
    fields = ["address", "status", "language", *readonly_fields]
    actions = ["export_csv", "forget"]
    change_list_template = "admin/archive/subscriber/change_list.html"

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # "Forget" says what deleting means here
        return actions

    def save_model(self, request, obj, form, change):
        if not change:
            obj.source = Subscriber.Source.ADMIN
            if obj.status == Subscriber.Status.ACTIVE:
                obj.confirmed_at = timezone.now()
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Export as CSV"))
    def export_csv(self, request, queryset):
        writer = csv.writer(Echo())

        def rows():
            yield writer.writerow(EXPORT_FIELDS)
            for values in queryset.order_by("pk").values_list(*EXPORT_FIELDS).iterator(2000):
                yield writer.writerow(
                    [v.isoformat() if hasattr(v, "isoformat") else v for v in values]
                )

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="subscribers.csv"'
        return response

    @admin.action(description=_("Forget: erase these addresses"), permissions=["delete"])
    def forget(self, request, queryset):
        count = queryset.count()
        queryset.delete()  # their deliveries stay, counted but no longer naming anyone
        self.message_user(
            request,
            ngettext(
                "%d address erased: nothing of it is kept.",
                "%d addresses erased: nothing of them is kept.",
                count,
            )
            % count,
            messages.SUCCESS,
        )

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_csv),
                name="archive_subscriber_import",
            ),
            *super().get_urls(),
        ]

    def import_csv(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CsvImportForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > MAX_CSV_BYTES:
                errors = [(0, _("The file is larger than 10 MB: split it."))]
            else:
                rows, errors = read_rows(upload.read(), form.cleaned_data["language"])
                if not errors and not rows:
                    errors = [(0, _("The file holds no address."))]
            if not errors:
                added, known = import_rows(rows)
                self.message_user(
                    request,
                    _("%(added)d subscribed; %(known)d already known, kept as they were.")
                    % {"added": added, "known": known},
                    messages.SUCCESS,
                )
                return redirect("admin:archive_subscriber_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import subscribers from CSV"),
            "form": form,
            "errors": errors,
        }
        return TemplateResponse(request, "admin/archive/subscriber/import.html", context)
