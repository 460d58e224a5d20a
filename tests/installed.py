"""The course installed as a learner outside this repository has it: a wheel
built from a folder and installed with `pip install` (not -e) in a fresh
virtual environment, with a Jupyter kernel of its own."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path


def install_as_a_wheel(folder: Path, where: Path, kernel: str) -> Path:
    """Build ``folder`` into a wheel, install it in a venv under ``where`` and
    register kernel ``kernel`` under ``where/share/jupyter`` (put that on
    JUPYTER_PATH). The venv's other packages are this environment's, read
    through a .pth file, which does not run this environment's editable-install
    hook. Returns the venv's site-packages."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(where / "dist"), str(folder)], check=True, cwd=where)
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()"
                                "['purelib'])"], capture_output=True, text=True,
                               check=True).stdout.strip())
    (site / "course-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel, = (where / "dist").glob("*.whl")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)],
                   check=True, cwd=where)
    kernels = where / "share" / "jupyter" / "kernels" / kernel
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": kernel, "language": "python"}))
    return site
