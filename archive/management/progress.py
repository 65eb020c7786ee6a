"""Progress for long commands: a bar on a terminal, a plain line every tenth of the way
otherwise (a log, CI)."""


class Progress:
    """A bar on a terminal; a plain line every tenth of the way otherwise."""

    def __init__(self, stream, total, enabled, unit="files"):
        self.stream, self.total, self.enabled, self.unit = stream, total, enabled, unit
        self.tty = enabled and stream.isatty()
        self.step = max(total // 10, 1)

    def update(self, done, label):
        if not self.enabled or not self.total:
            return
        if self.tty:
            width = 30
            filled = width * done // self.total
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r[{bar}] {done}/{self.total} {label[-40:]:<40}", ending="")
            self.stream.flush()
        elif done % self.step == 0 or done == self.total:
            self.stream.write(f"{done}/{self.total} {self.unit}")

    def finish(self):
        if self.tty:
            self.stream.write("")
