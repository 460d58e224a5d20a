"""The set-up files agree with each other."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_binder_environment_pins_what_pyproject_pins():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pinned = set(pyproject["project"]["dependencies"])
    conda = set(re.findall(r"^\s+- (\S+==\S+)$", (ROOT / "environment.yml").read_text(), re.M))
    assert conda == pinned
    assert re.search(r"^\s+- python=3\.11\.\d+$", (ROOT / "environment.yml").read_text(), re.M)


def test_post_build_is_executable_and_stops_on_errors():
    post_build = ROOT / "postBuild"
    assert post_build.stat().st_mode & 0o111
    assert "set -e" in post_build.read_text().splitlines()[1]


def test_constraints_pin_every_direct_dependency_at_the_same_version():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    constraints = {line.split("==")[0].lower().replace("_", "-"): line.strip()
                   for line in (ROOT / "constraints.txt").read_text().splitlines()
                   if "==" in line}
    for requirement in pyproject["project"]["dependencies"] + \
            pyproject["project"]["optional-dependencies"]["test"]:
        name = requirement.split("==")[0].lower()
        assert constraints.get(name, "").lower().replace("_", "-") == requirement.lower(), name
