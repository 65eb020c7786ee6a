"""What an address stored in the archive may be: http(s), nothing else."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from ..issuemd.inline import url_problem

http_url_validator = URLValidator(
    schemes=["http", "https"], message=_("Enter an http:// or https:// address.")
)


def http_only(field, blank=True):
    """A database check that ``field`` holds an http(s) address (or nothing, when ``blank``):
    a shell or a bulk write cannot store a javascript: or data: URL either."""
    allowed = Q(**{f"{field}__istartswith": "http://"}) | Q(**{f"{field}__istartswith": "https://"})
    return allowed | Q(**{field: ""}) if blank else allowed


def refuse_unsafe_url(url, field="url"):
    """Raise ValidationError unless ``url`` is empty or an http(s) address with a host: what
    save() checks, so that writing past the forms fails with a clear message."""
    if url and url_problem(url):
        raise ValidationError({field: http_url_validator.message})


class HttpURLField(models.URLField):
    """A URL field that accepts only http(s) and completes a bare domain with https://."""

    default_validators = [http_url_validator]

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})
