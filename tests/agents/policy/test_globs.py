"""Path globs (`**` spans folders, `*` never does) and command patterns, with holes for run-time parts."""

from __future__ import annotations

import fnmatch
import itertools

import pytest

from interns.agents.policy.globs import Hole, always_matches, compile_glob, could_match, matches

PATH_CASES = [
    # pattern, path, matches
    ("src/**", "src", True),
    ("src/**", "src/a.py", True),
    ("src/**", "src/x/y.py", True),
    ("src/**", "srcx", False),
    ("src/**", "srcx/a.py", False),
    ("src/**", "lib/src/a.py", False),
    ("**/*.md", "a.md", True),
    ("**/*.md", "x/y/a.md", True),
    ("**/*.md", "x/y/a.md.txt", False),
    ("**/*.md", "x/y/.md", True),
    ("**", "", True),
    ("**", "any/depth/at/all", True),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a/**/b", "a/xb", False),
    ("a/**/b", "ab", False),
    ("a/**/**/b", "a/b", True),
    ("docs/**/*.md", "docs/a.md", True),
    ("docs/**/*.md", "docs/x/a.md", True),
    ("docs/**/*.md", "docs/x/a.rst", False),
    ("*.py", "a.py", True),
    ("*.py", "x/a.py", False),
    ("*", "a", True),
    ("*", "a/b", False),
    ("src/*.py", "src/a.py", True),
    ("src/*.py", "src/x/a.py", False),
    ("a?c", "abc", True),
    ("a?c", "a/c", False),
    ("a?c", "ac", False),
    ("[ab].txt", "a.txt", True),
    ("[ab].txt", "c.txt", False),
    ("[!ab].txt", "c.txt", True),
    ("[!ab].txt", "a.txt", False),
    ("[^ab].txt", "c.txt", True),
    ("[a-c]x", "bx", True),
    ("[a-c]x", "dx", False),
    ("[+-0]x", "/x", False),  # a range that spans '/' still never matches a separator
    ("[!a]x", "/x", False),
    ("[]]x", "]x", True),
    ("[x", "[x", True),  # an unclosed class is a literal '['
    ("a.b", "axb", False),  # regex characters are literal
    ("(a)+", "(a)+", True),
    ("src/", "src/deep/file", True),  # a trailing slash means everything under it
    ("./src/*.py", "src/a.py", True),
    ("/src/*.py", "src/a.py", True),
    ("src//*.py", "src/a.py", True),
    ("src/a**b", "src/axyb", True),  # '**' inside a segment is a plain '*'
    ("src/a**b", "src/ax/yb", False),
    ("*", ".hidden", True),
    ("**/.git/**", ".git/config", True),
    ("new\nline", "new\nline", True),
]


@pytest.mark.parametrize(("pattern", "path", "expected"), PATH_CASES)
def test_path_globs(pattern: str, path: str, expected: bool) -> None:
    assert bool(compile_glob(pattern).fullmatch(path)) is expected


def test_a_compiled_glob_matches_whole_paths_only_even_with_match() -> None:
    assert compile_glob("src/*.py").match("src/a.py.bak") is None


def test_matches_names_the_first_pattern_that_matched() -> None:
    assert matches("src/a.py", ["docs/**", "src/**", "**"]) == "src/**"
    assert matches("README.md", ["docs/**", "src/**"]) is None
    assert matches("x", []) is None


# ---- command patterns ----

PATTERNS = ["*", "git push *", "git push", "git *", "pytest *", "git * status", "rm -rf *", "python? *", "[gh]it *"]
STATIC_COMMANDS = ["git push", "git push origin main", "git pushy", "git status", "git", "pytest", "pytest -q"]
STATIC_COMMANDS += ["rm -rf /", "rm -r", "python3 x.py", "hit a", "git x status", "git status x", " git push"]


def fnmatch_with_bare_form(text: str, pattern: str) -> bool:
    """The documented meaning: fnmatch over the text, where `X *` also matches `X` alone."""
    return fnmatch.fnmatchcase(text, pattern) or (pattern.endswith(" *") and fnmatch.fnmatchcase(text, pattern[:-2]))


@pytest.mark.parametrize(("pattern", "text"), list(itertools.product(PATTERNS, STATIC_COMMANDS)))
def test_on_a_fully_known_command_both_tests_agree_with_fnmatch(pattern: str, text: str) -> None:
    expected = fnmatch_with_bare_form(text, pattern)
    assert could_match(pattern, list(text)) is expected
    assert always_matches(pattern, list(text)) is expected


def test_the_pattern_program_is_compared_by_basename_and_spaces_collapse() -> None:
    assert always_matches("/usr/bin/git   push *", list("git push origin"))


def subject(*pieces: str | Hole) -> list[str | Hole]:
    out: list[str | Hole] = []
    for piece in pieces:
        out.extend(piece if isinstance(piece, str) else [piece])
    return out


FILLINGS = ["", "x", "push", " push", "push origin", "status", " ", "a b", "-rf /", "/", "it"]


def texts(pieces: tuple[str | Hole, ...]) -> set[str]:
    """Some of the texts a subject with holes can stand for."""
    results = {""}
    for piece in pieces:
        if isinstance(piece, str):
            options = [piece]
        elif piece is Hole.TEXT:
            options = FILLINGS
        else:
            options = ["", *(" " + filling for filling in FILLINGS)]
        results = {done + option for done in results for option in options}
    return results


HOLED = [
    ("git", Hole.WORDS),
    ("git ", Hole.TEXT),
    ("git", Hole.WORDS, " origin"),
    ("git ", Hole.TEXT, " status"),
    ("git", Hole.WORDS, " status"),
    (Hole.TEXT,),
    ("pytest", Hole.WORDS),
    ("rm ", Hole.TEXT),
    ("python", Hole.TEXT, " x"),
    ("g", Hole.TEXT, "t push"),
    ("echo ", Hole.TEXT),
]


@pytest.mark.parametrize(("pattern", "pieces"), list(itertools.product(PATTERNS, HOLED)))
def test_with_holes_could_and_always_bound_what_the_command_can_be(
    pattern: str, pieces: tuple[str | Hole, ...]
) -> None:
    results = {text: fnmatch_with_bare_form(text, pattern) for text in texts(pieces)}
    if any(results.values()):
        assert could_match(pattern, subject(*pieces)), [t for t, ok in results.items() if ok]
    if always_matches(pattern, subject(*pieces)):
        assert all(results.values()), [t for t, ok in results.items() if not ok]


@pytest.mark.parametrize(
    ("pattern", "pieces", "could", "always"),
    [
        ("git push *", ("git", Hole.WORDS), True, False),
        ("git push *", ("git checkout", Hole.WORDS), False, False),
        ("pytest *", ("pytest", Hole.WORDS), True, True),
        ("git * status", ("git ", Hole.TEXT, " status"), True, True),
        ("git * status", ("git", Hole.WORDS, " status"), True, False),  # the hole may vanish: `git status`
        ("*", (Hole.TEXT,), True, True),
        ("git *", (Hole.TEXT,), True, False),
        ("rm -rf *", ("echo ", Hole.TEXT), False, False),
        ("a*bc", ("a", Hole.TEXT, "c"), True, False),
        ("*x", (Hole.TEXT, "x"), True, True),
    ],
)
def test_holes_known_answers(pattern: str, pieces: tuple[str | Hole, ...], could: bool, always: bool) -> None:
    assert could_match(pattern, subject(*pieces)) is could
    assert always_matches(pattern, subject(*pieces)) is always
