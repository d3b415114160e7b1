"""Attacks on redaction: a value the task hands to the sandbox comes back transformed, and must not reach the journal;
nor may a token or webhook of a well-known format, whoever wrote it.

The variable's name looks harmless, so only `guardrails.env` says that its value is secret. The worked copy
(`workspace/`) is left out of the check: it is the sandbox's own output, which the person reviews before it lands.
"""

from __future__ import annotations

import base64
from pathlib import Path

from tests.security.attack import Attack, Seen, Turns, sh
from tests.security.conftest import PLANTED_VARIABLE, Host

SPLIT_AT = 15
"""Where the worker breaks the value across two lines of a file."""

TOKEN_SAMPLES = [
    "https://hooks.slack.com/services/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",
    "https://discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-Ab",
    "ghp_Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8",
    "github_pat_11AAAAAAA0bbbbbbbbbbbb_cccccccccccccccccccccccccccccccccccccccccccccccccccc",
    "xoxb-210987654321-2109876543210-ZyXwVuTsRqPoNmLkJiHgFeDc",
    "AKIAZZZZ7EXAMPLE7KEY",
    "AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q",
    "sk_live_51Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3b3JrZXIiLCJpYXQiOjE3MDAwMDAwMDB9.dGhpcy1pcy1ub3QtYS1yZWFsLXNpZ25hdHVyZQ",
]
"""Token and webhook formats redacted by their shape, wherever they come from."""

_PRINT_ENCODED = (
    "import base64, os, urllib.parse; v = os.environ['VAR'].encode(); "
    "print(base64.b64encode(b'x' + v).decode(), base64.b64encode(b'xy' + v).decode()); "
    "print(base64.urlsafe_b64encode(v).decode(), v.hex(), v.hex().upper()); "
    "print(urllib.parse.quote(os.environ['VAR'] + ' /?'), ''.join('%%%02X' % b for b in v))"
).replace("VAR", PLANTED_VARIABLE)
_WRITE_SPLIT = (
    "import os; v = os.environ['VAR']; "
    f"open('split.txt', 'w').write('key = ' + v[:{SPLIT_AT}] + '\\n' + v[{SPLIT_AT}:] + ' # end\\n')"
).replace("VAR", PLANTED_VARIABLE)


def _echo_passed_value(host: Host, backend: str) -> Turns:
    return [
        sh(f'printf "%s\\n" "${PLANTED_VARIABLE}"'),
        sh(f'printf %s "${PLANTED_VARIABLE}" | base64'),
        sh(f'python3 -c "{_PRINT_ENCODED}"'),
        sh(f'python3 -c "{_WRITE_SPLIT}" && cat split.txt'),
        *(sh(f"printf '%s\\n' {token} | tee -a tokens.txt") for token in TOKEN_SAMPLES),
    ]


def _needles(secret: str) -> list[str]:
    """The secret and what would give it away: its halves, the middles of its encodings."""
    data = secret.encode()
    encodings = [
        base64.b64encode(data).decode(),
        base64.b64encode(b"x" + data).decode(),
        base64.b64encode(b"xy" + data).decode(),
        base64.urlsafe_b64encode(data).decode(),
        data.hex(),
        data.hex().upper(),
        "".join(f"%{byte:02X}" for byte in data),
    ]
    return [secret, secret[:SPLIT_AT], secret[SPLIT_AT:], *(text[4:-4] for text in encodings), *TOKEN_SAMPLES]


def _journal_files(seen: Seen) -> list[Path]:
    """Every file of the run's journal, the worked copy left out."""
    work = seen.workspace
    return [p for p in seen.result.run_dir.rglob("*") if p.is_file() and not p.is_symlink() and work not in p.parents]


def _in_journal(host: Host, seen: Seen) -> bool:
    """Whether the passed value, in any of its forms, or a token sample is in a file of the journal."""
    files = _journal_files(seen)
    assert {p.name for p in files} >= {"events.jsonl", "final.diff", "task.yaml", "work.json"}, files
    assert "split.txt" in (seen.result.run_dir / "final.diff").read_text(), "the split file is in the diff"
    contents = [path.read_bytes() for path in files]
    return any(needle.encode() in content for needle in _needles(host.secret) for content in contents)


def _redacted(seen: Seen) -> bool:
    """The journal shows the value was there, redacted under its variable's name."""
    return f"[REDACTED:{PLANTED_VARIABLE}]".encode() in (seen.result.run_dir / "events.jsonl").read_bytes()


REDACTION_ATTACKS = [
    Attack(
        "passed value echoed, encoded and split",
        _echo_passed_value,
        _in_journal,
        guardrails={"env": [PLANTED_VARIABLE]},
        recorded=_redacted,
    ),
]
