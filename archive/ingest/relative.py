"""Relative addresses in an imported archive (``![](../images/x.png)``, ``[prev](./41.md)``).

A link to a sibling issue file becomes a link to that issue here; anything else is resolved
against the archive's own address (``--base-url``, e.g. its raw-file address) when one is given,
and otherwise reported: a relative address is never left silently broken on a page.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

# Where Markdown and HTML name an address: ``](dest``, ``]: dest`` (a reference definition),
# ``src="dest"`` / ``href="dest"``.
_DESTINATIONS = (
    re.compile(r"(\]\(\s*<?)([^)\s>]+)"),
    re.compile(r"(^[ ]{0,3}\[[^\]]+\]:[ \t]*<?)(\S+?)(?=>?(?:\s|$))", re.MULTILINE),
    re.compile(r"""(\b(?:src|href)\s*=\s*["'])([^"']+)"""),
)
_ABSOLUTE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|#|/)")


@dataclass
class Unresolved:
    path: Path
    address: str

    def __str__(self):
        return f"{self.path}: {self.address}"


def is_relative(address):
    return bool(address) and not _ABSOLUTE.match(address)


def _texts(doc):
    """(owner, attribute) of every Markdown text of a document that may hold an address."""
    yield doc, "lede"
    yield doc, "references"
    for section in doc.sections:
        yield section, "note"
        for entry in section.entries:
            for each in (entry, *entry.children):
                yield each, "annotation"


def resolve(files, roots, base_url, issue_address):
    """Rewrite the relative addresses of parsed documents in place.

    ``files`` is ``[(path, doc)]``; ``roots`` the folders (or files) named on the command line,
    which ``base_url`` stands for; ``issue_address(doc)`` the address of an issue here. Returns
    the addresses left unresolved, as :class:`Unresolved`."""
    by_path = {path.resolve(): doc for path, doc in files}
    unresolved = []
    for path, doc in files:
        folder = path.resolve().parent
        within = _relative_name(path, roots)

        def resolved(address, folder=folder, within=within):
            parts = urlsplit(address)
            target = (folder / unquote(parts.path)).resolve() if parts.path else None
            sibling = by_path.get(target) if target is not None else None
            if sibling is not None:
                return issue_address(sibling) + (f"#{parts.fragment}" if parts.fragment else "")
            if base_url:
                return urljoin(urljoin(base_url, within), address)
            return None

        for owner, attribute in _texts(doc):
            text = getattr(owner, attribute)
            if not text or ("](" not in text and "]:" not in text and "=" not in text):
                continue
            for pattern in _DESTINATIONS:

                def replace(match, path=path):
                    address = match.group(2)
                    if not is_relative(address):
                        return match.group(0)
                    found = resolved(address)
                    if found is None:
                        unresolved.append(Unresolved(path, address))
                        return match.group(0)
                    return match.group(1) + found

                text = pattern.sub(replace, text)
            setattr(owner, attribute, text)
    return unresolved


def _relative_name(path, roots):
    """A file's name below the root it was found under, as a URL path (``docs/2024/05.md``)."""
    resolved = path.resolve()
    for root in roots:
        root = Path(root).resolve()
        base = root if root.is_dir() else root.parent
        try:
            return posixpath.join(*resolved.relative_to(base).parts)
        except ValueError:
            continue
    return path.name
