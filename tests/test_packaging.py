"""The hub installs and runs as a package: a wheel built from the project carries the templates, static files and
migrations, and, installed into a fresh venv outside the checkout, `hub init` and `hub serve` work and serve the
login page.

Only the hub itself goes into the fresh venv (``--no-deps``); its dependencies are read from the test run's own
environment through a path file appended after the venv's site-packages, so the installed hub is the one imported
(asserted) and nothing is downloaded but the build backend the build asks for.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

from hub.version import VERSION

ROOT = Path(__file__).resolve().parents[1]
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "var", "node_modules", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "tests", "bench"
)


def _run(*args: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:  # a local URL of our own server
        return response.status, response.read().decode("utf-8")


def test_the_wheel_installed_outside_the_checkout_inits_and_serves_the_login_page(tmp_path: Path) -> None:
    # Build from a copy, so the build leaves nothing behind in the checkout.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=IGNORED)
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", dist, source)
    (wheel,) = dist.glob("hub-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for expected in ("hub/templates/base.html", "hub/static/hub.css", "hub/migrations/env.py"):
        assert expected in names
    assert any(n.startswith("hub/migrations/versions/") for n in names)
    assert any(n.startswith("hub/templates/email/") for n in names)
    # The licence travels with the wheel: the SPDX expression in the metadata and the text itself (PEP 639).
    dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
    meta = zipfile.ZipFile(wheel).read(f"{dist_info}/METADATA").decode("utf-8")
    assert "License-Expression: EUPL-1.2" in meta.splitlines()
    assert f"Version: {VERSION}" in meta.splitlines()
    assert f"{dist_info}/licenses/LICENSE" in names

    # Nothing of the test run's own environment (PYTHONPATH, HUB_*) may leak in: a PYTHONPATH holding the checkout
    # would make pip think the hub is installed already, and the import below would find the checkout.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUB_", "PYTHON"))}
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, env=env)
    python, hub = venv / "bin" / "python", venv / "bin" / "hub"
    site_packages = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", env=env).strip()
    )
    (site_packages / "zz_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(python, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", wheel, env=env, cwd=tmp_path)

    port = _free_port()
    env.update(HUB_DATA_DIR=str(tmp_path / "data"), HUB_PORT=str(port), HUB_WORKER="off", HUB_CLAMD="off")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    where = _run(
        python, "-c", "import hub, hub.resources as r; print(hub.__file__); print(r.TEMPLATE_DIR)", env=env, cwd=outside
    )
    assert all(line.startswith(str(site_packages)) for line in where.split()), where

    # Outside the checkout the version comes from the installed package's metadata.
    assert _run(hub, "--version", env=env, cwd=outside).strip() == f"hub {VERSION}"
    assert "Database migrated" in _run(hub, "init", env=env, cwd=outside)
    server = subprocess.Popen([hub, "serve"], env=env, cwd=outside, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, page = _get(f"http://127.0.0.1:{port}/inloggen")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read().decode() if server.stdout else ""
                assert time.monotonic() < deadline, "hub serve did not answer"
                time.sleep(0.2)
        assert status == 200
        assert "Inloggen" in page and 'lang="nl"' in page
        assert _get(f"http://127.0.0.1:{port}/static/hub.css")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=10)
