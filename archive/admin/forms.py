from django import forms
from django.utils.translation import gettext_lazy as _

from ..issuemd import ParseError, parse_issue

MAX_UPLOAD = 5 * 1024 * 1024


class ImportMarkdownForm(forms.Form):
    """An issue written in Markdown, pasted or uploaded, for the admin's import page."""

    markdown = forms.CharField(
        label=_("Markdown"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 20, "cols": 100, "class": "vLargeTextField"}),
        help_text=_("Paste an issue in the newsletter's Markdown format, or upload a file."),
    )
    file = forms.FileField(label=_("or a file"), required=False)
    # An uploaded file's name can give the issue's number or date; kept for the confirmation.
    file_name = forms.CharField(required=False, widget=forms.HiddenInput, max_length=255)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload:
            if upload.size > MAX_UPLOAD:
                raise forms.ValidationError(_("The file is larger than 5 MB."))
            data = upload.read()
            if b"\x00" in data:
                raise forms.ValidationError(_("That file is binary data, not Markdown text."))
            try:
                cleaned["markdown"] = data.decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("That file is not UTF-8 text.")) from None
            cleaned["file_name"] = upload.name
        file_name = cleaned.get("file_name") or None
        text = cleaned.get("markdown", "")
        if not text.strip():
            raise forms.ValidationError(_("Paste an issue or choose a file."))
        try:
            cleaned["doc"] = parse_issue(
                text, source=file_name or "pasted text", file_name=file_name
            )
        except ParseError as error:
            raise forms.ValidationError(str(error)) from None
        return cleaned
