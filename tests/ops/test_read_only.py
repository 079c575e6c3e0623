"""The hub runs on a read-only root file system, as the container image and the Kubernetes manifests run it: in a mount
namespace of its own whose root is remounted read-only, with only one scratch folder writable (a tmpfs holding the
data dir and TMPDIR, as the image's /tmp volume; not /tmp itself, which may hold the checkout under test), `hub
init` and `hub serve` start, /readyz answers ready (asked with curl, one of `make test`'s Debian packages), and
SIGTERM stops the server. Runs as root (as `make test` does): mount namespaces need it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from tests.support.postgres import free_port

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
set -e
mount --make-rprivate /
mount -o remount,bind,ro /
mount -t tmpfs -o size=64m,mode=1777 tmpfs {scratch}
if touch {root}/.read-only-probe 2>/dev/null; then echo "root still writable"; exit 3; fi
export TMPDIR={scratch}
mkdir -m 0700 {scratch}/data
cd {scratch}
{python} -m hub init >/dev/null
{python} -m hub serve 2>{scratch}/serve.log &
server=$!
ready=""
for i in $(seq 1 300); do
  if ready=$(curl -sf http://127.0.0.1:{port}/readyz); then break; fi
  sleep 0.1
done
kill -TERM $server
wait $server || true
echo "READY $ready"
echo "FILES $(cd {scratch}/data && find . -type f | sort | tr '\\n' ' ')"
grep -E '"level": "(error|critical)"' {scratch}/serve.log || true
"""


def test_the_hub_runs_on_a_read_only_root_file_system(tmp_path: Path) -> None:
    assert os.geteuid() == 0, "this test remounts / read-only in a mount namespace: run it as root (make test does)"
    port = free_port()
    scratch = tmp_path / "writable"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATA_DIR=str(scratch / "data"),
        HUB_CLAMD="off",
        HUB_PORT=str(port),
        HUB_LOG_FORMAT="json",
        PYTHONPATH=str(ROOT),
    )
    script = SCRIPT.format(
        root=shlex.quote(str(ROOT)), python=shlex.quote(sys.executable), port=port, scratch=shlex.quote(str(scratch))
    )
    done = subprocess.run(
        ["unshare", "--mount", "bash", "-c", script], env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert lines["READY"] == '{"status":"ready","checks":{"database":"ok","migrations":"ok","blobs":"ok"}}', done.stdout
    files = set(lines["FILES"].split())
    assert {"./hub.sqlite3", "./keyring.json", "./audit-head.log"} <= files  # every write went to the data dir
    assert '"level": "error"' not in done.stdout, done.stdout
