"""Secret redaction: the host environment's secret values and well-known token formats, replaced before writing."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from interns.journal.secret_forms import LINE_BREAK, forms_pattern

SECRET_NAME_WORDS = (
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "AUTH",
    "PRIVATE",
    "SESSION",
    "COOKIE",
)
"""An environment variable whose name contains one of these (any case) holds a secret."""

MIN_SECRET_LENGTH = 8
"""Shorter values are too likely to occur by chance ("true", a port number) to be worth redacting."""

_TOKEN = r"[A-Za-z0-9_\-]"
_NOT_AFTER_WORD = r"(?<![A-Za-z0-9_\-])"

# Each pattern's group name is the hint shown in its place; a `_head` group inside one is kept as it was.
# Order matters where two match at the same place: the more specific comes first (Anthropic before OpenAI).
PATTERNS: dict[str, str] = {
    "PRIVATE_KEY": r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END[A-Z0-9 ]*PRIVATE KEY-----|\Z)",
    "ANTHROPIC_API_KEY": rf"{_NOT_AFTER_WORD}sk-ant-{_TOKEN}{{16,}}",
    "OPENAI_API_KEY": rf"{_NOT_AFTER_WORD}sk-(?:proj-|svcacct-|admin-)?{_TOKEN}{{20,}}",
    "GITHUB_TOKEN": rf"{_NOT_AFTER_WORD}(?:gh[pousr]_[A-Za-z0-9]{{20,}}|github_pat_[A-Za-z0-9_]{{20,}})",
    "GITLAB_TOKEN": rf"{_NOT_AFTER_WORD}glpat-{_TOKEN}{{20,}}",
    "AWS_ACCESS_KEY_ID": r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])",
    # A secret access key is 40 characters of base64 that only its name tells from any other.
    "AWS_SECRET_ACCESS_KEY": r"(?P<aws_head>(?i:(?:aws_?)?secret_?access_?key)[\"']?\s*[:=]\s*[\"']?)"
    r"[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])",
    "SLACK_TOKEN": r"(?<![A-Za-z0-9])(?:xox[abeoprs]-[A-Za-z0-9\-]{10,}|xapp-\d-[A-Za-z0-9\-]{10,})",
    "SLACK_WEBHOOK": r"(?<![A-Za-z0-9_.\-])(?:https?://)?hooks\.slack\.com/(?:services|workflows|triggers)/"
    r"[A-Za-z0-9_/\-]{10,}",
    "DISCORD_WEBHOOK": r"(?<![A-Za-z0-9_.\-])(?:https?://)?(?:canary\.|ptb\.)?discord(?:app)?\.com/api/"
    r"(?:v\d+/)?webhooks/\d{5,}/[A-Za-z0-9_\-]{20,}",
    "STRIPE_KEY": rf"{_NOT_AFTER_WORD}(?:(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{{16,}}|whsec_[A-Za-z0-9]{{20,}})",
    "GOOGLE_API_KEY": rf"(?<![A-Za-z0-9])AIza{_TOKEN}{{35}}",
    "NPM_TOKEN": rf"{_NOT_AFTER_WORD}npm_[A-Za-z0-9]{{36,}}",
    "PYPI_TOKEN": rf"{_NOT_AFTER_WORD}pypi-AgE{_TOKEN}{{50,}}",
    "HUGGINGFACE_TOKEN": rf"{_NOT_AFTER_WORD}hf_[A-Za-z0-9]{{30,}}",
    "SENDGRID_KEY": rf"{_NOT_AFTER_WORD}SG\.{_TOKEN}{{22}}\.{_TOKEN}{{43}}",
    "JWT": rf"(?<![A-Za-z0-9])eyJ{_TOKEN}{{5,}}\.eyJ{_TOKEN}{{5,}}\.{_TOKEN}{{10,}}",
    # `Authorization: Bearer <token>` (also `Basic`), and a bare `Bearer <token>` whose token has a digit in it.
    "AUTHORIZATION": r"(?P<auth_head>(?i:authorization)[\"']?\s*[:=]\s*[\"']?(?i:bearer|basic)\s+|"
    r"(?<![A-Za-z])(?i:bearer)\s+(?=[A-Za-z0-9._~+/=\-]*[0-9]))[A-Za-z0-9._~+/=\-]{8,}",
    # The password in `scheme://user:password@host`.
    "URL_PASSWORD": r"(?P<url_head>://[^\s/:@\"']+:)[^\s/@\"']{3,}(?=@)",
}
_PATTERN_FIRST_CHARS = "-sSgAxeabB:hdcprwn"
"""Every character a match of `PATTERNS` can start with. Checking it first makes the scan several times faster."""


_LINE_BREAK = re.compile(f"({LINE_BREAK})")


def is_secret_name(name: str) -> bool:
    """Whether an environment variable's name says that it holds a secret."""
    upper = name.upper()
    return any(word in upper for word in SECRET_NAME_WORDS)


class Redactor:
    """Replaces known secret values and token-shaped strings with `[REDACTED:HINT]`; the hint names the kind only."""

    def __init__(self, secrets: Mapping[str, str] | None = None) -> None:
        """Redact the given secret values (value → hint, e.g. the variable's name), in every form
        `secret_forms` knows (JSON-escaped, percent-encoded, split across lines, base64, hex), and every pattern in
        `PATTERNS`."""
        secrets = secrets or {}
        self._hints: dict[str, str] = {}
        """The hint of each secret's group in the pattern."""
        alternatives = []
        first_chars = set(_PATTERN_FIRST_CHARS)
        # Longest first, so a secret that contains another is replaced whole.
        values = sorted((v for v in secrets if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)
        for number, value in enumerate(values):
            forms, starts = forms_pattern(value)
            self._hints[f"secret_{number}"] = secrets[value]
            alternatives.append(f"(?P<secret_{number}>{forms})")
            first_chars.update(starts)
        alternatives += [f"(?P<{name}>{pattern})" for name, pattern in PATTERNS.items()]
        first = "".join(re.escape(char) for char in sorted(first_chars))
        self._pattern = re.compile(f"(?=[{first}])(?:{'|'.join(alternatives)})")

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str], extra: Iterable[str] = (), passed: Iterable[str] = ()
    ) -> Redactor:
        """A redactor for the values of `environ`'s secret-looking variables and of the variables named in `passed`
        (those a task hands to a sandbox or a tool, secret whatever their names), plus `extra` values (hint `SECRET`).

        Values shorter than `MIN_SECRET_LENGTH` are ignored, here and in the constructor.
        """
        chosen = set(passed)
        secrets = {value: name for name, value in sorted(environ.items()) if is_secret_name(name) or name in chosen}
        for value in extra:
            secrets.setdefault(value, "SECRET")
        return cls(secrets)

    def redact(self, text: str) -> str:
        """`text` with every secret replaced by `[REDACTED:HINT]`."""
        return self._pattern.sub(self._replacement, text)

    def redact_obj(self, obj: Any) -> Any:
        """A copy of `obj` with every string in it redacted, walking dicts (keys too), lists and tuples."""
        if isinstance(obj, str):
            return self.redact(obj)
        if isinstance(obj, dict):
            return {self.redact_obj(key): self.redact_obj(value) for key, value in obj.items()}
        if isinstance(obj, list | tuple):
            return type(obj)(self.redact_obj(item) for item in obj)
        return obj

    def _replacement(self, match: re.Match[str]) -> str:
        kind = match.lastgroup or "SECRET"
        if kind in self._hints:
            # A secret split across lines loses each part, and keeps the line breaks, so a diff stays a diff.
            parts = _LINE_BREAK.split(match.group())
            hidden = f"[REDACTED:{self._hints[kind]}]"
            return "".join(part if index % 2 else hidden for index, part in enumerate(parts))
        heads = {"AUTHORIZATION": "auth_head", "URL_PASSWORD": "url_head", "AWS_SECRET_ACCESS_KEY": "aws_head"}
        head = match.group(heads[kind]) if kind in heads else None
        return f"{head or ''}[REDACTED:{kind}]"
