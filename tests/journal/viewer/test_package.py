"""The viewer's public surface, its files shipped with the package, and its place in the import order."""

import inspect
import subprocess
import sys
from importlib import resources

from interns.journal import viewer


def test_the_exported_names_are_documented() -> None:
    assert set(viewer.__all__) == {
        "ActionRefused", "ReviewActions", "RunScan", "RunViews", "ViewerServer", "is_loopback",
    }  # fmt: skip
    for name in viewer.__all__:
        exported = getattr(viewer, name)
        assert not (inspect.isclass(exported) or inspect.isfunction(exported)) or exported.__doc__, name


def test_the_pages_ship_as_package_data() -> None:
    static = resources.files("interns.journal.viewer").joinpath("static")
    names = {entry.name for entry in static.iterdir()}
    assert {"list.html", "run.html", "viewer.css", "common.js", "run.js", "events.js", "diff.js"} <= names
    for page in ("list.html", "run.html"):
        html = static.joinpath(page).read_text()
        scripts = [part.split('"')[0] for part in html.split('src="/static/')[1:]]
        assert scripts and all(script in names for script in scripts), f"{page} names a script that is not shipped"


def test_the_viewer_imports_neither_agents_nor_sandbox() -> None:
    ours = "sorted(m for m in sys.modules if m.split('.')[1:2] in (['agents'], ['sandbox']))"
    check = f"import sys, interns.journal.viewer; print({ours})"

    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)

    assert (result.returncode, result.stdout.strip()) == (0, "[]")
