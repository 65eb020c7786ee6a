"""What keeps reader pages right and fast: counts kept on write, whole pages cached, edits
followed, feeds, sitemaps, the readers' addresses and languages, Markdown made safe HTML."""
