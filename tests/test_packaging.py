"""One installed import name: `interns` installs nothing else at the top level, as a wheel or as an editable install.

Each install goes into a fresh virtual environment next to a distribution, made here, that ships top-level `agents`,
`tasks` and `sandbox` packages of its own (as the OpenAI Agents SDK ships `agents`). The dependencies come from the
environment running the tests, through a path file, so nothing is downloaded.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("agents", "tasks", "sandbox", "journal", "prompts")
EXAMPLE = ROOT / "examples" / "fix-failing-test"


def _run(argv: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    assert result.returncode == 0, f"{argv} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


def _clashing_distribution(where: Path) -> Path:
    """A wheel with top-level `agents`, `tasks` and `sandbox` packages, which would shadow ours under those names."""
    wheel = where / "clash-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name in ("agents", "tasks", "sandbox"):
            archive.writestr(f"{name}/__init__.py", f"CLASH = {name!r}\n")
        archive.writestr("clash-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: clash\nVersion: 1.0\n")
        archive.writestr(
            "clash-1.0.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        archive.writestr("clash-1.0.dist-info/RECORD", "")
    return wheel


def _fresh_venv(where: Path) -> Path:
    """A venv with the clashing distribution, and this environment's packages behind its own through a path file."""
    venv = where / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip())
    # A path file adds our site-packages (pip and setuptools among them) after the venv's own; path files inside it
    # are not read, so this environment's editable install of interns stays out of the fresh venv.
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run([python, "-m", "pip", "install", "-q", "--no-index", "--no-deps", _clashing_distribution(where)])
    return venv


def _runs_the_example(venv: Path, cwd: Path) -> None:
    interns = venv / "bin" / "interns"
    assert "Run a task file" in _run([interns, "--help"], cwd=cwd).stdout
    assert (
        "clash" in _run([venv / "bin" / "python", "-c", "import agents; print(agents.CLASH, 'clash')"], cwd=cwd).stdout
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERNS_")}
    task, script = EXAMPLE / "task.yaml", EXAMPLE / "script.yaml"
    ran = subprocess.run(
        [interns, "run", task, "--model", f"scripted:{script}", "--runs-dir", cwd / ".interns"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "succeeded" in ran.stdout


def test_the_package_list_names_every_folder_of_code() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {"interns"} | {
        "interns." + ".".join(init.parent.relative_to(ROOT).parts)
        for folder in FOLDERS
        for init in (ROOT / folder).rglob("__init__.py")
    }
    assert listed == on_disk


def test_the_wheel_installs_only_interns_and_runs_beside_a_clashing_agents(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", dist, ROOT])
    (wheel,) = dist.glob("interns-*.whl")
    top_level = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert {t for t in top_level if not t.endswith(".dist-info")} == {"interns"}

    venv = _fresh_venv(tmp_path)
    _run([venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-index", "--no-deps", wheel])
    _runs_the_example(venv, tmp_path)


def test_an_editable_install_maps_the_folders_the_same_way(tmp_path: Path) -> None:
    venv = _fresh_venv(tmp_path)
    pip = [venv / "bin" / "python", "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-build-isolation"]
    _run([*pip, "-e", ROOT])
    where = _run([venv / "bin" / "python", "-c", "import interns.agents.cli.app as m; print(m.__file__)"], cwd=tmp_path)
    assert Path(where.stdout.strip()) == ROOT / "agents" / "cli" / "app.py"
    _runs_the_example(venv, tmp_path)


@pytest.fixture(autouse=True)
def _build_backend_here() -> None:
    """Building without isolation needs setuptools in this environment (the dev extra installs it)."""
    import setuptools

    assert int(setuptools.__version__.split(".")[0]) >= 77
