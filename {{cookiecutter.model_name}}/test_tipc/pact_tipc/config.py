"""The one reader of the TIPC config: ``load(path)`` gives a ``Config`` whose fields are addressed by name
(``config.get("device")``, ``config.value("epochs", mode)``), lines 1-32 by position and the extension lines by
their names (or their old fixed positions)."""
from typing import NamedTuple

from .schema import (BY_LINE, EXTENSION_HEADER, EXTENSION_HEADER_RE, FIELD, FIELDS, FIXED_KEYS, LEGACY_POSITIONS,
                     NAMED, REQUIRED_LINES)
from .values import per_mode_value


class Entry(NamedTuple):
    line: int      # 1-based line number in the file
    key: str       # the key (for a loop: the inference argument)
    value: str     # the value (for a loop: its values)
    text: str      # the line as written


def read_lines(path):
    """The config's lines, split on newlines only (as bash's mapfile does), without Windows \\r, without the
    blank lines after the last one."""
    with open(path, encoding="utf-8") as handle:
        lines = [text[:-1] if text.endswith("\r") else text for text in handle.read().split("\n")]
    while len(lines) > REQUIRED_LINES and not lines[-1].strip():
        lines.pop()
    if lines and lines[-1] == "":
        lines.pop()
    return lines


class Config:
    """A parsed config: ``get(name)`` is the Entry of a field (None where the config does not have it)."""

    def __init__(self, path, lines):
        self.path = path
        self.lines = lines
        self.entries = {}
        self.extension_problems = []  # (line number, message)
        for field in FIELDS:
            text = self.line(field.line)
            if text is not None and ":" in text and field.kind not in ("header", "separator"):
                key, value = text.split(":", 1)
                self.entries[field.name] = Entry(field.line, key, value, text)
        self._read_extensions()

    def line(self, number):
        return self.lines[number - 1] if 1 <= number <= len(self.lines) else None

    def get(self, name):
        return self.entries.get(name)

    def value(self, name, mode=None):
        """The value of a field (for MODE when it has per-mode items); None where the config does not have it."""
        entry = self.get(name)
        if entry is None:
            return None
        return per_mode_value(entry.value, mode) if FIELD[name].per_mode and mode else entry.value

    def key(self, name):
        entry = self.get(name)
        return None if entry is None else entry.key

    def has_extensions(self):
        return len(self.lines) > REQUIRED_LINES

    def _read_extensions(self):
        if not self.has_extensions():
            return
        header = self.line(REQUIRED_LINES + 1)
        if not EXTENSION_HEADER_RE.match(header):
            self.extension_problems.append((33, (
                f"{FIELD['extension_header'].meaning} (line 33): lines after 32 are optional extensions and start "
                f"with the header '{EXTENSION_HEADER}', found '{header}'")))
            return
        for number in range(REQUIRED_LINES + 2, len(self.lines) + 1):
            self._read_extension(number, self.line(number))

    def _read_extension(self, number, text):
        name, sep, content = text.partition(":")
        if not (sep and name in NAMED):
            legacy = LEGACY_POSITIONS.get(number)
            if legacy is None:
                self.extension_problems.append((number, (
                    f"line {number}: the TIPC scripts read the optional lines 33-{max(LEGACY_POSITIONS)} by "
                    f"position, and named extension lines anywhere after line 33 "
                    f"({', '.join(name + ':...' for name in NAMED)}); found '{text}'")))
                return
            field = NAMED[legacy]
            if field.kind == "command" and name != field.key:
                self.extension_problems.append((number, (
                    f"line {number} should be the {field.meaning} (`{field.key}:...`), found '{text}'"
                    f"{belongs_elsewhere(name, number)}")))
                return
            name, content = legacy, (content if field.kind == "command" else text)
        field = NAMED[name]
        if name in self.entries:
            self.extension_problems.append((number, (
                f"{field.meaning} (line {number}): the config already has it on line {self.entries[name].line}; "
                "keep one")))
            return
        if field.kind in ("loop", "argument"):
            if ":" not in content:
                self.extension_problems.append((number, (
                    f"{field.meaning} (line {number}): expected 'key:value', found '{content}'; "
                    f"expected {field.goes_here}")))
                return
            key, value = content.split(":", 1)
        else:
            key, value = name, content
        self.entries[name] = Entry(number, key, value, text)

    def loop(self, name):
        """(argument, values) of an inference loop line; (None, [None]) when the config has no such loop
        (absent, or its key or value null): the step runs once without the argument."""
        entry = self.get(name)
        if entry is None or entry.key.strip() == "null" or not entry.value.strip() or entry.value == "null":
            return None, [None]
        return entry.key, entry.value.split("|")

    def flag(self, name):
        """Whether a flag extension line is True (absent: False)."""
        entry = self.get(name)
        return entry is not None and entry.value.strip().lower() == "true"

    def where(self, name):
        """'line N' of a field, for messages."""
        entry = self.get(name)
        line = entry.line if entry else FIELD[name].line
        return f"line {line}" if line else f"the {name} line"


def belongs_elsewhere(key, number):
    """', which belongs on line M (...)' when KEY is the fixed key of another line than NUMBER."""
    other = FIXED_KEYS.get(key)
    if other and other != number:
        return f", which belongs on line {other} ({BY_LINE[other].meaning})"
    return ""


def load(path):
    """(Config, None), or (None, message) when the file cannot be read."""
    try:
        return Config(path, read_lines(path)), None
    except (OSError, UnicodeDecodeError) as exc:
        return None, (f"{path}: cannot read the config file ({exc.__class__.__name__}: {exc}); "
                      "pass the path of a train_pact_infer_python.txt, relative to the repo root")
