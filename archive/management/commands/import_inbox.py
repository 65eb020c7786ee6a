from pathlib import Path

from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from archive.ingest.inbox import save_to_inbox
from archive.ingest.urlnorm import normalize_url
from archive.issuemd.inline import url_problem
from archive.models import InboxItem


def links_in(text):
    """[(url, title)] from a browser's exported bookmarks (HTML) or a text file of lines
    ``URL [title]``."""
    if "<a " in text.lower():
        soup = BeautifulSoup(text, "html.parser")
        return [(a.get("href", ""), a.get_text(" ", strip=True)) for a in soup.find_all("a")]
    found = []
    for line in text.splitlines():
        url, _, title = line.strip().partition(" ")
        if url and not url.startswith("#"):
            found.append((url, title.strip()))
    return found


class Command(BaseCommand):
    help = (
        "Save links to the inbox from a file: bookmarks exported from a browser (HTML), or "
        "one 'URL title' a line. Addresses already waiting there are left out."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--user", help="the editor they are saved for")
        parser.add_argument("--fetch-titles", action="store_true", help="fetch missing titles")

    def handle(self, *args, file, user, fetch_titles, **options):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError) as error:
            raise CommandError(f"{file}: {error}") from None
        editor = None
        if user:
            editor = get_user_model().objects.filter(username=user).first()
            if editor is None:
                raise CommandError(f"No user named {user!r}.")
        saved = skipped = bad = 0
        waiting = set(InboxItem.objects.waiting().values_list("normalized_url", flat=True))
        for url, title in links_in(text):
            if url_problem(url):
                bad += 1
                continue
            if normalize_url(url) in waiting:
                skipped += 1
                continue
            saved_item = save_to_inbox(
                url=url,
                title=title[:1000],
                user=editor,
                source=InboxItem.Source.IMPORT,
                fetch=fetch_titles,
            )
            waiting.add(saved_item.normalized_url)
            saved += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"{saved} saved to the inbox, {skipped} already waiting there, "
                f"{bad} not http(s) addresses"
            )
        )
