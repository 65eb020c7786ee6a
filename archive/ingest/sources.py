"""Finding and reading Markdown issue files. No Django: commands and checks share it."""

import csv
import datetime
import io
import re
import subprocess
from pathlib import Path

from ..issuemd import ParseError, parse_issue
from ..issuemd.meta import find_date

MARKDOWN_SUFFIXES = {".md", ".markdown"}
SKIPPED_NAMES = {"source.md", "readme.md", "index.md", "readme.markdown", "index.markdown"}
# A folder named like a language (en/, ja/, zh-hant/) below an archive holds translations of
# its issues: same numbers, other words. They are reported and left out.
LANGUAGE_FOLDER = re.compile(r"^[a-z]{2}(?:[-_][A-Za-z]{2,4})?$")


def markdown_files(paths):
    """(files to import, translation files left out) for the files and folders named."""
    files, translations = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for found in sorted(path.rglob("*")):
                parts = found.relative_to(path).parts
                if (
                    not found.is_file()
                    or found.suffix.lower() not in MARKDOWN_SUFFIXES
                    or found.name.lower() in SKIPPED_NAMES
                    or any(part.startswith(("_", ".")) for part in parts[:-1])
                ):
                    continue
                if any(LANGUAGE_FOLDER.match(part) for part in parts[:-1]):
                    translations.append(found)
                else:
                    files.append(found)
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"{raw}: no such file or folder")
    return files, translations


def read_issue(path, style="auto"):
    """Parse one file; a file that is not UTF-8 text raises ParseError."""
    data = path.read_bytes()
    if b"\x00" in data:
        raise ParseError("binary data, not a Markdown text", line=1, source=str(path))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ParseError(
            f"not UTF-8 text (byte {error.start})", line=line, source=str(path)
        ) from None
    return parse_issue(text, source=str(path), file_name=file_name_of(path), style=style)


def file_name_of(path):
    """What of a file's path names its issue: its name, and for a month's file in a year's
    folder (``docs/2024/05.md``) the year too."""
    path = Path(path)
    if re.fullmatch(r"(?:19|20)\d{2}", path.parent.name) and re.fullmatch(r"\d{1,2}", path.stem):
        return f"{path.parent.name}/{path.name}"
    return path.name


class DatesError(ValueError):
    """A dates file or git history that cannot be read. ``str()`` says where and why."""


def read_dates(path):
    """{key: date} from a two-column file, TSV or CSV: a file name or an issue number, then a
    date (``2024-01-19``, ``2024/1/19``, ``2024年1月19日``). Further columns are ignored, and
    so is a first row whose date does not read as one (a header). Issue numbers are keys of
    type int, file names strings."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DatesError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise DatesError(f"{path}: not UTF-8 text") from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if "\t" in first else ","
    dates = {}
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if len(cells) < 2 or not cells[0]:
            raise DatesError(f"{path}:{number}: expected a file name or issue number, then a date")
        date = find_date(cells[1])
        if date is None:
            if not dates and number == 1:
                continue  # a header row
            raise DatesError(f"{path}:{number}: “{cells[1][:40]}” is not a date")
        key = cells[0]
        dates[int(key) if key.isdigit() else Path(key).name] = date
    return dates


def date_for(dates, path, number):
    """The date ``dates`` (from :func:`read_dates`) gives a file: by its name, else by its
    issue number."""
    found = dates.get(path.name)
    if found is None and number is not None:
        found = dates.get(number)
    return found


def git_first_dates(paths):
    """{resolved path: date} the day each file first appeared in the history of the git
    repository it lives in (the author date of the commit that added it, following renames).
    Files that git does not track are left out."""
    by_root = {}
    for path in paths:
        path = Path(path).resolve()
        by_root.setdefault(_git_root(path.parent), []).append(path)
    found = {}
    for root, files in by_root.items():
        first_seen = _first_seen(root)
        for path in files:
            date = first_seen.get(path.relative_to(root).as_posix())
            if date is not None:
                found[path] = date
    return found


def _git(args, cwd):
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
        ).stdout
    except FileNotFoundError:
        raise DatesError("git is not installed") from None
    except subprocess.CalledProcessError as error:
        message = error.stderr.strip().splitlines()[-1] if error.stderr.strip() else "failed"
        raise DatesError(f"{cwd}: {message}") from None


def _git_root(folder):
    return Path(_git(["rev-parse", "--show-toplevel"], folder).strip()).resolve()


def _first_seen(root):
    """{path relative to root: date of the commit that first added it}, oldest commit first,
    a renamed file keeping the date of its first name. One git process for the repository."""
    log = _git(
        [
            *("-c", "core.quotePath=false", "log", "--reverse", "-M", "--name-status"),
            *("--format=%x00%as", "--diff-filter=AR"),
        ],
        root,
    )
    first_seen, date = {}, None
    for line in log.splitlines():
        if line.startswith("\x00"):
            date = datetime.date.fromisoformat(line[1:])
            continue
        fields = line.split("\t")
        if fields[0] == "A" and len(fields) == 2:
            first_seen.setdefault(_unquote_git(fields[1]), date)
        elif fields[0].startswith("R") and len(fields) == 3:
            old, new = _unquote_git(fields[1]), _unquote_git(fields[2])
            first_seen.setdefault(new, first_seen.get(old, date))
    return first_seen


_GIT_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _unquote_git(name):
    """git writes a name holding a tab, a newline or a quote C-style: ``"a\\tb.md"``."""
    if not (len(name) >= 2 and name[0] == name[-1] == '"'):
        return name
    data, text, index = bytearray(), name[1:-1], 0
    while index < len(text):
        char = text[index]
        if char == "\\" and text[index + 1 : index + 4].isdigit():
            data.append(int(text[index + 1 : index + 4], 8))
            index += 4
        elif char == "\\" and text[index + 1 : index + 2] in _GIT_ESCAPES:
            data.append(_GIT_ESCAPES[text[index + 1]])
            index += 2
        else:
            data += char.encode("utf-8")
            index += 1
    return data.decode("utf-8", "replace")
