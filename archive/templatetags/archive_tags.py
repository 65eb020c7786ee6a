from html import escape
from urllib.parse import urlsplit

from django import template
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.filter
def http_url(url):
    """The URL when it is http(s), else "": a stored javascript: or data: URL is never a link,
    even one written past the model's validation."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except (AttributeError, ValueError):
        return ""
    return url if scheme in ("http", "https") else ""


@register.simple_tag
def link_card(link, level=3, show_issue=False):
    """One link as an <article>, from what Addresses.present() gave it.

    The one component written in Python rather than as a template: a long issue shows it
    hundreds of times, and an included template costs five times as much to render. Every
    value goes through ``html.escape`` (what Django's ``escape`` calls, without its lazy
    checks); the annotation is HTML sanitised when it was saved."""
    title = escape(link.title)
    if link.target:
        title = f'<a href="{escape(link.target)}" rel="noopener nofollow">{title}</a>'
    parts = [f'<article class="link" id="link-{link.pk}"><h{level} class="link-title">']
    parts.append(f'{title}</h{level}><p class="link-meta">')
    if link.domain:
        parts.append(
            f'<a class="domain" href="{escape(link.domain_url)}">{escape(link.domain)}</a> · '
        )
    if show_issue:
        issue = link.section.issue
        parts.append(f'<a href="{escape(link.issue_url)}">{escape(issue.label)}</a>')
        day = issue.display_date
        if day:
            parts.append(f' <time datetime="{day.isoformat()}">{escape(date_format(day))}</time>')
        category = escape(link.section.category.name)
        parts.append(f' · <a href="{escape(link.category_url)}">{category}</a> · ')
    parts.append(
        f'<a class="permalink" href="{escape(link.page_url)}" '
        f'aria-label="{escape(link.permalink_label)}">#</a></p>'
    )
    if getattr(link, "is_dead", False):
        parts.append(f'<p class="dead">{escape(gettext("The link is dead"))}')
        if link.archived_copy:
            parts.append(
                f' · <a href="{escape(link.archived_copy)}" rel="noopener nofollow">'
                f"{escape(gettext('archived copy'))}</a>"
            )
        parts.append("</p>")
    if link.annotation_html:
        parts.append(f'<div class="annotation prose">{link.annotation_html}</div>')
    if link.tag_links:
        parts.append(f'<ul class="tags" aria-label="{escape(gettext("Tags"))}">')
        parts += [
            f'<li><a href="{escape(url)}">{escape(name)}</a></li>' for name, url in link.tag_links
        ]
        parts.append("</ul>")
    children = getattr(link, "child_links", ())
    if children:
        parts.append(f'<ul class="children" aria-label="{escape(gettext("Similar links"))}">')
        for child in children:
            if child.target:
                parts.append(
                    f'<li><a href="{escape(child.target)}" rel="noopener nofollow">'
                    f"{escape(child.title)}</a> "
                    f'<span class="domain">{escape(child.domain)}</span></li>'
                )
            else:
                parts.append(f"<li>{escape(child.title)}</li>")
        parts.append("</ul>")
    parts.append("</article>")
    return mark_safe("".join(parts))
