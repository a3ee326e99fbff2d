"""One error tree with stable codes, each carrying where it happened and a hint.

Codes are part of the public surface (the API maps them to problem+json types), so they are
never renamed: add new ones instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    file: str
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    path: str = ""  # breadcrumb inside the document, e.g. rules[3].require

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where} {self.path}".rstrip()


@dataclass(frozen=True)
class Diagnostic:
    code: str  # stable, e.g. ruleset.unknown_name
    message: str
    location: Location | None = None
    hint: str | None = None
    severity: str = "error"  # error | warning
    # the same message and hint in Chinese, where the code that found the problem wrote them;
    # otherwise engine/messages.py translates the English
    message_zh: str | None = field(default=None, compare=False)
    hint_zh: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return self.render("en")

    def render(self, lang: str = "en") -> str:
        """`file:line:col path: message (hint) [code]` in English or Chinese."""
        from .messages import localized

        message, hint = localized(self, lang)
        text = f"{self.location}: {message}" if self.location else message
        if hint:
            text += f" ({hint})" if lang == "en" else f"（{hint}）"
        return f"{text} [{self.code}]"

    def to_dict(self, lang: str = "en") -> dict:
        """message and hint in `lang`; lang "both" keeps English and adds message_zh/hint_zh (for a
        process that does not know who will read them)."""
        from .messages import localized

        message, hint = localized(self, "zh" if lang == "zh" else "en")
        out = {"code": self.code, "severity": self.severity, "message": message}
        if self.location:
            out.update(file=self.location.file, line=self.location.line,
                       column=self.location.column, path=self.location.path)
        if hint:
            out["hint"] = hint
        if lang == "both":
            out["message_zh"], hint_zh = localized(self, "zh")
            if hint_zh:
                out["hint_zh"] = hint_zh
        return out


class KaoheError(Exception):
    """Base of every error kaohe reports to a user."""

    code = "kaohe.error"

    def __init__(self, message: str, *, code: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class RulesetError(KaoheError):
    """A ruleset that cannot be loaded; carries every problem found, not only the first."""

    code = "ruleset.invalid"

    def __init__(self, diagnostics: list[Diagnostic]):
        self.all = list(diagnostics)  # warnings found on the way too
        self.diagnostics = [d for d in diagnostics if d.severity == "error"] or list(diagnostics)
        first = self.diagnostics[0]
        more = len(self.diagnostics) - 1
        summary = str(first) + (f" (and {more} more)" if more else "")
        super().__init__(summary, code=first.code)

    def __str__(self) -> str:
        return "\n".join(str(d) for d in self.diagnostics)


class RecordError(KaoheError):
    """Input records that do not validate: record, field path and problem for each."""

    code = "record.invalid_field"

    def __init__(self, problems: list[dict]):
        self.problems = problems
        first = problems[0]
        super().__init__(f"{first['record']}: {first['field']}: {first['problem']}"
                         + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))

    def __str__(self) -> str:
        return "\n".join(f"{p['record']}: {p['field'] or '(record)'}: {p['problem']}" for p in self.problems)


class UnknownRuleset(KaoheError):
    code = "ruleset.not_found"


class NoRevisionInForce(KaoheError):
    code = "ruleset.not_in_force"


class ConfigError(KaoheError):
    """kaohe cannot start with this configuration (settings, keys file, options)."""

    code = "api.config"


class InputFormatError(KaoheError):
    code = "input.unreadable"
