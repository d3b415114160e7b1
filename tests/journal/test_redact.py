"""Redaction: the environment's secret values and well-known token formats never survive `Redactor.redact`."""

import json

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
