"""The default worker image: both ways of building it agree, and the built image has the tools tasks need."""

from __future__ import annotations

import pytest

from interns.sandbox import DEFAULT_IMAGE, ImageBuildError, Sandbox, build_image
from interns.sandbox.docker.image import IMAGE_DIR, IMPORT_CHANGES, _split_name, packages
from interns.sandbox.process import DEFAULT_PATH
from tests.sandbox.conftest import skip_unless_runs


def test_the_dockerfile_and_the_offline_build_share_one_package_list() -> None:
    dockerfile = (IMAGE_DIR / "Dockerfile").read_text()
    assert "COPY packages.txt" in dockerfile
    assert {"bash", "git", "python3", "gcc", "make"} <= set(packages())
    assert all(name and " " not in name and not name.startswith("#") for name in packages())


def test_an_imported_root_gets_what_the_dockerfile_sets() -> None:
    dockerfile = (IMAGE_DIR / "Dockerfile").read_text()
    assert "ENV LANG=C.UTF-8" in dockerfile and "ENV LANG=C.UTF-8" in IMPORT_CHANGES
    assert 'CMD ["bash"]' in dockerfile and 'CMD ["bash"]' in IMPORT_CHANGES
    assert f"ENV PATH={DEFAULT_PATH}" in IMPORT_CHANGES  # debian:bookworm-slim's own PATH


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        (DEFAULT_IMAGE, ("interns-worker", "1")),
        ("worker", ("worker", "latest")),
        ("registry.local:5000/team/worker", ("registry.local:5000/team/worker", "latest")),
        ("registry.local:5000/team/worker:2.1", ("registry.local:5000/team/worker", "2.1")),
    ],
)
def test_image_names_split_into_repository_and_tag(name: str, parts: tuple[str, str]) -> None:
    assert _split_name(name) == parts


@pytest.mark.anyio
@pytest.mark.parametrize("open_box", ["docker"], indirect=True)
async def test_the_worker_image_compiles_and_runs_code_in_the_workspace(box: Sandbox) -> None:
    await box.write_file("hello.c", b'#include <stdio.h>\nint main(void) { puts("compiled"); return 0; }\n')
    await box.write_file("test_it.py", b"def test_it():\n    assert 1 + 1 == 2\n")
    built = await box.exec(["sh", "-c", "gcc -o hello hello.c && ./hello && make --version && git --version"])
    assert built.ok, built.stderr
    assert built.stdout.startswith("compiled\n")
    tested = await box.exec(["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_it.py"])
    assert tested.ok, tested.stdout + tested.stderr


def test_a_failed_offline_build_says_why() -> None:
    skip_unless_runs("docker")
    lines: list[str] = []
    # A mirror nobody serves: the build fails fast wherever it gets to run (as root with debootstrap, or not).
    with pytest.raises(ImageBuildError, match=r"debootstrap failed|needs root|needs debootstrap") as caught:
        build_image(
            "interns-test-never-built:0", offline=True, progress=lines.append, mirror="http://127.0.0.1:9/debian"
        )
    if "debootstrap failed" in str(caught.value):
        assert "127.0.0.1:9" in str(caught.value)  # debootstrap's own last lines say what it could not fetch
        assert any("debootstrap bookworm" in line for line in lines)
