"""The public read-only API, /api/v1/: published issues, links (through the search engine),
categories, tags and domains, as JSON described by an OpenAPI schema generated from the code
(django-ninja: type hints and pydantic schemas make the schema, the validation and the docs
one thing). Every endpoint makes a fixed number of queries, as the pages do; counts come from
the tallies. Caching, ETags, CORS and the rate limit are archive.api.middleware's."""

from django.conf import settings
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError
from ninja.renderers import JSONRenderer

from . import endpoints, schemas
from .inbox import inbox as inbox_view


class Utf8JSON(JSONRenderer):
    """JSON as UTF-8 text: 数据库, not \\u6570\\u636e\\u5e93."""

    media_type = "application/json"
    json_dumps_params = {"ensure_ascii": False}


class Api(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        schemes = schema.setdefault("components", {}).setdefault("securitySchemes", {})
        schemes["editorToken"] = {
            "type": "http",
            "scheme": "bearer",
            "description": "An editor's token, made in the admin or with manage.py create_token.",
        }
        return schema


api = Api(
    renderer=Utf8JSON(),
    title=f"{settings.SITE_NAME} API",
    version="1",
    description=(
        "Everything the newsletter published: issues, their links and annotations, and the "
        "categories, tags and domains they are filed under. Read-only, anonymous, JSON. "
        "Lists come a page at a time with the address of the `next` one; responses carry an "
        "`ETag` (send it back as `If-None-Match` for a `304`). Each address may make "
        f"{settings.API_REQUESTS_PER_MINUTE} requests a minute; past that the answer is `429` "
        "with `Retry-After`."
    ),
    urls_namespace="api",
    openapi_url="/v1/openapi.json",
    docs_url="/v1/docs/",
)
api.add_router("/v1/", endpoints.router)


@api.post(
    "/inbox/",
    response={
        201: schemas.InboxItem,
        400: schemas.InboxError,
        401: schemas.InboxError,
        403: schemas.InboxError,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schemas.InboxIn.model_json_schema()}},
        },
        "security": [{"editorToken": []}],
    },
    tags=["inbox"],
    url_name="inbox",
    summary="Save a link to the editors' inbox",
)
def inbox(request):
    """For editors' scripts, phones and browser extensions: the item saved, and where its
    address was featured before. Not part of the read-only v1 API: it needs a token."""
    return inbox_view(request)  # the body is read and checked there (archive.api.inbox)


def field_of(error):
    """The parameter an error is about: pydantic gives its place as ("query", "year")."""
    place = [str(part) for part in error.get("loc", ()) if part not in ("query", "path")]
    return ".".join(place) or "request"


@api.exception_handler(ValidationError)
def bad_input(request, exc):
    errors = [{"field": field_of(error), "message": error["msg"]} for error in exc.errors]
    fields = ", ".join(dict.fromkeys(error["field"] for error in errors))
    return api.create_response(
        request, {"detail": f"Bad input: {fields}.", "errors": errors}, status=400
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    body = {"detail": str(exc) or "Not found.", "errors": []}
    return api.create_response(request, body, status=404)


@api.exception_handler(HttpError)
def http_error(request, exc):
    field = getattr(exc, "field", None)
    errors = [{"field": field, "message": exc.message}] if field else []
    return api.create_response(
        request, {"detail": exc.message, "errors": errors}, status=exc.status_code
    )
