"""Finding and reading Markdown issue files. No Django: commands and checks share it."""

import re
from pathlib import Path

from .issuemd import ParseError, parse_issue

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
    return parse_issue(text, source=str(path), file_name=path.name, style=style)
