"""An issue's email page in the admin: its preview (HTML and text, in each language), a test
sent to the editor, *Send to subscribers*, and every send's progress and failures. Sending is
queued (archive.mailing): the page never waits for a message to go out."""

from csp.decorators import csp_update
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..mailing import compose, delivery, tasks
from ..models import Delivery, Issue, Subscriber

SEND_PERMISSION = "archive.add_mailing"


class TestSendForm(forms.Form):
    address = forms.EmailField(label=_("Send a test to"))
    language = forms.ChoiceField(label=_("Its language"), choices=settings.LANGUAGES)


class IssueEmailAdmin:
    """Mixed into IssueAdmin: the issue's email page and its preview."""

    def email_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/email/", view(self.email_page), name="archive_issue_email"),
            path(
                "<int:pk>/email/preview/<str:language>/",
                view(self.email_preview),
                name="archive_issue_email_preview",
            ),
        ]

    def email_issue(self, request, pk):
        issue = get_object_or_404(Issue, pk=pk)
        if not self.has_view_permission(request, issue):
            raise PermissionDenied
        return issue

    def email_page(self, request, pk):
        issue = self.email_issue(request, pk)
        may_send = request.user.has_perm(SEND_PERMISSION)
        language = request.GET.get("language") or translation.get_language()
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        test_form = TestSendForm(initial={"address": request.user.email, "language": language})
        if request.method == "POST":
            if not may_send:
                raise PermissionDenied
            if "test" in request.POST:
                test_form = TestSendForm(request.POST)
                if test_form.is_valid():
                    data = test_form.cleaned_data
                    tasks.send_test.enqueue(issue.pk, data["address"], data["language"])
                    self.message_user(
                        request,
                        _("A test is on its way to %(address)s.") % {"address": data["address"]},
                        messages.SUCCESS,
                    )
                    return redirect("admin:archive_issue_email", issue.pk)
            elif "send" in request.POST:
                if not issue.is_public:
                    self.message_user(
                        request, _("Publish the issue before sending it."), messages.ERROR
                    )
                else:
                    _mailing, queued = delivery.start_mailing(issue, request.user)
                    self.message_user(
                        request,
                        ngettext(
                            "Queued for %d subscriber: the workers are sending it.",
                            "Queued for %d subscribers: the workers are sending it.",
                            queued,
                        )
                        % queued
                        if queued
                        else _("Every subscriber has had this issue already."),
                        messages.SUCCESS,
                    )
                return redirect("admin:archive_issue_email", issue.pk)
        try:
            preview_text = compose.IssueEmail(issue, language).text
            problem = ""
        except ImproperlyConfigured as error:
            preview_text, problem = "", str(error)
        mailings = list(issue.mailings.select_related("started_by")[:20])
        progress = delivery.progress([mailing.pk for mailing in mailings])
        rows = [
            (
                mailing,
                [
                    (state, label, progress[mailing.pk].get(state, 0))
                    for state, label in Delivery.State.choices
                ],
            )
            for mailing in mailings
        ]
        failures = (
            Delivery.objects.filter(
                issue=issue, state__in=[Delivery.State.FAILED, Delivery.State.BOUNCED]
            )
            .select_related("subscriber")
            .order_by("-pk")[:50]
        )
        active = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE).count()
        had_it = Delivery.objects.filter(
            issue=issue, subscriber__status=Subscriber.Status.ACTIVE
        ).count()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _t("Email: %(issue)s") % {"issue": issue.display_title},
            "issue": issue,
            "may_send": may_send,
            "test_form": test_form,
            "language": language,
            "languages": settings.LANGUAGES,
            "preview_text": preview_text,
            "problem": problem,
            "mailings": rows,
            "failures": failures,
            "active": active,
            "waiting": max(0, active - had_it),
        }
        return TemplateResponse(request, "admin/archive/issue/email.html", context)

    @staticmethod
    @csp_update({"style-src": ["'unsafe-inline'"]})  # the email's own inlined styles
    def preview_response(html):
        response = HttpResponse(html)
        response["X-Robots-Tag"] = "noindex"
        return response

    def email_preview(self, request, pk, language):
        issue = self.email_issue(request, pk)
        if language not in dict(settings.LANGUAGES):
            raise Http404("No such language.")
        return self.preview_response(compose.IssueEmail(issue, language).html)
