"""A final diff's "expand context": lines of a folder run's worked copy by range, never through a link or `..`."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlencode

from interns.journal.viewer import ViewerServer
from tests.journal.viewer.conftest import fetch, sign_in
from tests.journal.viewer.gate import deep_edit_run
from tests.journal.viewer.runs import NEW_LINES, StartRun, folder_run

SECRET = "the host's own secret"


def test_a_folder_runs_file_comes_in_lines_by_range(viewer: ViewerServer, start_run: StartRun) -> None:
    run = folder_run(start_run)
    api = f"{viewer.url}api/runs/{run.run_id}"

    assert fetch(f"{api}/diff").json["expandable"] is True
    middle = fetch(f"{api}/file?path=app.py&start=15&end=17").json
    tail = fetch(f"{api}/file?path=app.py&start=60&end=80").json

    assert (
        (middle["lines"], middle["total"])
        == (NEW_LINES[14:17], len(NEW_LINES))
        == (["line 14", "line 15", "line 16"], 61)
    )
    assert tail["lines"] == ["line 59", "line 60"], "a range past the end stops at the file's last line"
    assert fetch(f"{api}/file?path=app.py&start=0&end=3").status == 400
    assert fetch(f"{api}/file?path=app.py&start=1&end=3", stranger=True).status == 401


def test_a_link_or_a_path_out_of_the_worked_copy_is_refused(
    viewer: ViewerServer, start_run: StartRun, tmp_path: Path
) -> None:
    run = folder_run(start_run)
    api = f"{viewer.url}api/runs/{run.run_id}"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET + "\n")
    work = viewer.views.store.dir(run.run_id) / "workspace"
    os.symlink(outside / "secret.txt", work / "leak.txt")
    os.symlink(outside, work / "linked")
    os.symlink("../run.json", work / "header.json")

    expected = {
        "leak.txt": 404, "linked/secret.txt": 404, "header.json": 404,
        "../run.json": 400, "a/../app.py": 400, "/etc/hostname": 400, "./app.py": 400, "": 400,
    }  # fmt: skip
    refused = {path: fetch(f"{api}/file?{urlencode({'path': path, 'start': 1, 'end': 5})}") for path in expected}

    assert {path: answer.status for path, answer in refused.items()} == expected
    assert not any(SECRET.encode() in answer.body or b"run_id" in answer.body for answer in refused.values())


def test_a_repo_run_offers_no_expansion(tmp_path: Path) -> None:
    run = deep_edit_run(tmp_path)
    with ViewerServer(run.runs).start() as server:
        sign_in(server.sign_in_url)
        api = f"{server.url}api/runs/{run.run_id}"
        diff = fetch(f"{api}/diff").json
        lines = fetch(f"{api}/file?path=app.py&start=1&end=3")
    run.repo.close()

    assert diff["exists"] and diff["expandable"] is False
    assert lines.status == 404 and "no worked copy" in lines.json["error"]
