"""Redaction: the environment's secret values and well-known token formats never survive `Redactor.redact`."""

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from interns.journal import Redactor

# Each a realistic-looking secret of one format, the hint it should leave, and the part that must disappear.
PATTERN_SAMPLES = [
    ("ANTHROPIC_API_KEY", "sk-ant-api03-Xa9d0FQ2mZbq7LkPpR3tV8wYc1nE5uH6jKo4sT2xG_-Aa"),
    ("OPENAI_API_KEY", "sk-proj-Qw3rTy6uIo9pAs2dFg5hJk8lZx1cVb4nMq7wE0rT"),
    ("OPENAI_API_KEY", "sk-Qw3rTy6uIo9pAs2dFg5hJk8lZx1cVb4nMq7wE0rT"),
    ("GITHUB_TOKEN", "ghp_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3"),
    ("GITHUB_TOKEN", "gho_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3"),
    ("GITHUB_TOKEN", "ghs_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3"),
    ("GITHUB_TOKEN", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN"),
    ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
    ("SLACK_TOKEN", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("SLACK_TOKEN", "xoxp-123456789012-1234567890123-AbCdEfGhIjKl"),
    ("GOOGLE_API_KEY", "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI"),
    ("SLACK_TOKEN", "xapp-1-A0123456789-1234567890123-0a1b2c3d4e5f"),
    ("SLACK_WEBHOOK", "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
    ("SLACK_WEBHOOK", "https://hooks.slack.com/workflows/T0123ABCD/A0123ABCD/123456789012345678/AbCdEfGh12"),
    (
        "DISCORD_WEBHOOK",
        "https://discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdEfGhIjKlMn",
    ),
    ("DISCORD_WEBHOOK", "https://discordapp.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrSt-_0123"),
    ("STRIPE_KEY", "sk_live_51H8abcdEFGHijklMNOPqrstUVWXyz0123456789"),
    ("STRIPE_KEY", "rk_test_4eC39HqLyjWDarjtT1zdp7dc"),
    ("STRIPE_KEY", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    ("AWS_ACCESS_KEY_ID", "ASIAY34FZKBOKMUTVV7A"),
    ("GITLAB_TOKEN", "glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn"),
    ("NPM_TOKEN", "npm_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2"),
    ("HUGGINGFACE_TOKEN", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"),
    ("PYPI_TOKEN", "pypi-AgEIcHlwaS5vcmcCJGUxNjA4NzQ0LTk2YWUtNDQ2Zi1hNWM5LWQ0ZGI2ZGRmMjg5MAACKlszLCJ"),
    ("SENDGRID_KEY", "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"),
    (
        "JWT",
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ"
        ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ),
    (
        "PRIVATE_KEY",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
        "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----",
    ),
    (
        "PRIVATE_KEY",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
        "-----END OPENSSH PRIVATE KEY-----",
    ),
]


@pytest.mark.parametrize(("hint", "secret"), PATTERN_SAMPLES)
def test_each_token_format_is_redacted_with_its_hint(hint: str, secret: str) -> None:
    text = f"before {secret} after"

    redacted = Redactor().redact(text)

    assert redacted == f"before [REDACTED:{hint}] after"


@pytest.mark.parametrize(
    "line",
    [
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        'AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
        '{"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}',
    ],
)
def test_an_aws_secret_access_key_is_redacted_after_its_name(line: str) -> None:
    redacted = Redactor().redact(line)

    assert "wJalrXUtnFEMI" not in redacted and "[REDACTED:AWS_SECRET_ACCESS_KEY]" in redacted


def test_a_webhook_is_redacted_and_the_command_around_it_kept() -> None:
    text = "curl -d '{}' https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"

    assert Redactor().redact(text) == "curl -d '{}' [REDACTED:SLACK_WEBHOOK]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "curl -H 'Authorization: Bearer abc.DEF-ghi_jkl~mno' https://api",
            "curl -H 'Authorization: Bearer [REDACTED:AUTHORIZATION]' https://api",
        ),
        ('{"authorization": "Bearer 0123456789abcdef"}', '{"authorization": "Bearer [REDACTED:AUTHORIZATION]"}'),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: Basic [REDACTED:AUTHORIZATION]"),
        ("token: bearer 0a1b2c3d4e5f6a7b8c9d.", "token: bearer [REDACTED:AUTHORIZATION]"),
    ],
)
def test_authorization_keeps_its_scheme_and_loses_its_token(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


def test_password_in_a_url_is_redacted_but_not_the_user_or_host() -> None:
    redacted = Redactor().redact("git clone https://deploy:hunter2hunter2@git.example.com/repo.git")

    assert redacted == "git clone https://deploy:[REDACTED:URL_PASSWORD]@git.example.com/repo.git"


def test_an_unterminated_private_key_is_redacted_to_the_end() -> None:
    text = "key:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIIrYSSNQFaA2Hwf1duRSxKtLYX5CB04fSeQ6tF1aY/PuoAoGCCqGSM49"

    assert Redactor().redact(text) == "key:\n[REDACTED:PRIVATE_KEY]"


@pytest.mark.parametrize(
    "text",
    [
        "task-abcdefghijklmnopqrstuvwxyz0123456789",  # "sk-" inside a word is not a key
        "sk-short",
        "Bearer authentication is described in RFC 6750",
        "AKIA-not-a-key and AKIAIOSFODNN7EXAMPLEX1",
        "see https://example.com:8080/path and user@example.com",
        "a public key: -----BEGIN PUBLIC KEY----- MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE",
        "see https://hooks.slack.com/services/ for how to post, and https://discord.com/api/webhooks/ too",
        "the disk_live_backup and task_test_suite are names, not keys",
        "an hf_model_name, an npm_config_cache and a glpat-short are not tokens",
    ],
)
def test_lookalikes_are_left_alone(text: str) -> None:
    assert Redactor().redact(text) == text


def test_environment_values_of_secret_looking_names_are_redacted_by_name() -> None:
    environ = {
        "ANTHROPIC_API_KEY": "plain-looking-value-1",
        "db_password": "correct horse battery",
        "GH_AUTH": "opaque0123",
        "MY_SESSION_COOKIE": "c00kie-value",
        "HOME": "/home/someone",
        "SHORT_TOKEN": "tiny",
    }
    text = " | ".join(environ.values())

    redacted = Redactor.from_environ(environ).redact(text)

    assert redacted == (
        "[REDACTED:ANTHROPIC_API_KEY] | [REDACTED:db_password] | [REDACTED:GH_AUTH] | [REDACTED:MY_SESSION_COOKIE]"
        " | /home/someone | tiny"
    )


def test_extra_values_are_redacted_as_secrets() -> None:
    redactor = Redactor.from_environ({}, extra=["launch-code-0000"])

    assert redactor.redact("the code is launch-code-0000.") == "the code is [REDACTED:SECRET]."


def test_a_secret_containing_another_is_replaced_whole() -> None:
    redactor = Redactor.from_environ({"OUTER_TOKEN": "prefix-inner-secret-suffix", "INNER_TOKEN": "inner-secret"})

    assert (
        redactor.redact("prefix-inner-secret-suffix and inner-secret")
        == "[REDACTED:OUTER_TOKEN] and [REDACTED:INNER_TOKEN]"
    )


def test_a_secret_with_regex_and_json_special_characters_is_redacted_raw_and_json_escaped() -> None:
    secret = 'a.b*c"d\\e[f]^g$'
    redactor = Redactor.from_environ({"WEIRD_SECRET": secret})

    redacted = redactor.redact(f"raw {secret} and in JSON {json.dumps(secret)}")

    assert redacted == 'raw [REDACTED:WEIRD_SECRET] and in JSON "[REDACTED:WEIRD_SECRET]"'


def test_redact_obj_walks_dicts_lists_and_tuples_keys_included() -> None:
    secret = "ghp_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2Yz3"
    obj = {"args": {"token": secret, secret: 1}, "argv": ["curl", secret], "pair": (secret, 2.5), "n": None}

    redacted = Redactor().redact_obj(obj)

    hidden = "[REDACTED:GITHUB_TOKEN]"
    assert redacted == {
        "args": {"token": hidden, hidden: 1},
        "argv": ["curl", hidden],
        "pair": (hidden, 2.5),
        "n": None,
    }
    assert obj["argv"] == ["curl", secret]  # the original is not changed


SECRET = "plain-0123456789-value"
"""A value passed into the sandbox whose variable name does not look secret."""


def _passed_redactor() -> Redactor:
    return Redactor.from_environ({"DEPLOY_NOTE": SECRET, "HOME": "/home/someone"}, passed=["DEPLOY_NOTE"])


def test_every_passed_variable_is_secret_whatever_its_name() -> None:
    assert _passed_redactor().redact(f"note={SECRET} home=/home/someone") == (
        "note=[REDACTED:DEPLOY_NOTE] home=/home/someone"
    )


def _encodings(data: bytes) -> list[str]:
    return [
        base64.b64encode(data).decode(),
        base64.b64encode(data).decode().rstrip("="),
        base64.urlsafe_b64encode(data).decode(),
        data.hex(),
        data.hex().upper(),
    ]


@pytest.mark.parametrize("prefix", [b"", b"x", b"xy", b"xyz"])
@pytest.mark.parametrize("suffix", [b"", b"\n", b"!?"])
@pytest.mark.parametrize("secret", [SECRET, "ünïcode-sécret~/+?", "sk>?>?>?>?>?~~"])
def test_base64_and_hex_of_a_secret_are_redacted_at_every_offset(prefix: bytes, suffix: bytes, secret: str) -> None:
    redactor = Redactor.from_environ({"DEPLOY_NOTE": secret}, passed=["DEPLOY_NOTE"])
    for encoded in _encodings(prefix + secret.encode() + suffix):
        redacted = redactor.redact(f"out: {encoded} end")

        assert "[REDACTED:DEPLOY_NOTE]" in redacted, encoded
        left = redacted.replace("[REDACTED:DEPLOY_NOTE]", "").removeprefix("out: ").removesuffix(" end")
        # What is left encodes the prefix and suffix, and at most a few bits of the secret at either edge.
        assert len(left) <= 2 * (len(prefix) + len(suffix)) + 6, (encoded, redacted)


@pytest.mark.parametrize("secret", [SECRET, "a b/c?d&e=f+g%h#i", "ünïcode sécret"])
def test_percent_encodings_of_a_secret_are_redacted(secret: str) -> None:
    redactor = Redactor.from_environ({"DEPLOY_NOTE": secret}, passed=["DEPLOY_NOTE"])
    for encoded in {quote(secret, safe=""), quote_plus(secret), quote(secret), quote(secret, safe="").lower()}:
        assert (
            redactor.redact(f"https://x.example/?q={encoded}&n=1") == "https://x.example/?q=[REDACTED:DEPLOY_NOTE]&n=1"
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{SECRET[:9]}\n{SECRET[9:]}", "[REDACTED:DEPLOY_NOTE]\n[REDACTED:DEPLOY_NOTE]"),
        (f"a={SECRET[:6]}\r\n{SECRET[6:]};", "a=[REDACTED:DEPLOY_NOTE]\r\n[REDACTED:DEPLOY_NOTE];"),
        (f"+a={SECRET[:12]}\n+{SECRET[12:]}\n", "+a=[REDACTED:DEPLOY_NOTE]\n+[REDACTED:DEPLOY_NOTE]\n"),
        (f"-{SECRET[:3]}\n-{SECRET[3:]}", "-[REDACTED:DEPLOY_NOTE]\n-[REDACTED:DEPLOY_NOTE]"),
        (f" {SECRET[:10]}\n {SECRET[10:]}", " [REDACTED:DEPLOY_NOTE]\n [REDACTED:DEPLOY_NOTE]"),
        (json.dumps(f"{SECRET[:7]}\n{SECRET[7:]}"), '"[REDACTED:DEPLOY_NOTE]\\n[REDACTED:DEPLOY_NOTE]"'),
    ],
)
def test_a_secret_split_across_two_lines_is_redacted_and_the_lines_kept(text: str, expected: str) -> None:
    assert _passed_redactor().redact(text) == expected


def test_a_split_in_a_diff_keeps_the_diff_whole() -> None:
    diff = (
        "--- a/conf.txt\n+++ b/conf.txt\n@@ -1,1 +1,3 @@\n-old\n"
        f"+first half {SECRET[:11]}\n+{SECRET[11:]} second half\n+end\n"
    )

    redacted = _passed_redactor().redact(diff)

    assert SECRET[:11] not in redacted and SECRET[11:] not in redacted
    assert redacted.splitlines()[:4] == diff.splitlines()[:4]
    assert redacted.splitlines()[4:] == [
        "+first half [REDACTED:DEPLOY_NOTE]",
        "+[REDACTED:DEPLOY_NOTE] second half",
        "+end",
    ]
