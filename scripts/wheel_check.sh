#!/usr/bin/env bash
# The wheel works anywhere: build it, install it into a scratch environment that reuses the
# dependencies already installed in .venv, then, from an empty temporary folder, create an
# instance, ingest the shipped evaluation and one case note, serve it, and check that the
# pages, the static files and the API description answer 200. Run by .ci/run (make wheel-check).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
python=${VENV_PYTHON:-$root/.venv/bin/python}
case_id=etir-logistics-pilot

scratch=$(mktemp -d "${TMPDIR:-/tmp}/kmsearch-wheel.XXXXXX")
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT

echo "wheel-check: building the wheel"
"$python" -m pip wheel --quiet --no-deps --wheel-dir "$scratch/dist" . 2>&1 | grep -v '^WARNING' || true
wheel=$(ls "$scratch"/dist/kmsearch-*.whl)

echo "wheel-check: installing $(basename "$wheel") into a scratch environment"
"$python" -m venv --without-pip "$scratch/venv"
venv_python="$scratch/venv/bin/python"
site=$("$venv_python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# The dependencies come from .venv: its site-packages is added as a plain path (its .pth files,
# the editable install of this checkout among them, are not processed).
"$python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' > "$site/kmsearch-deps.pth"
"$python" -m pip --python "$venv_python" install --quiet --no-deps "$wheel" 2>&1 \
  | grep -v '^WARNING' || true

mkdir "$scratch/site" "$scratch/sample" "$scratch/sample/cases"
cp "corpus/cases/$case_id.md" "$scratch/sample/cases/"
cd "$scratch/site"
"$venv_python" - "$scratch/venv" <<'PY'
import sys
import kmsearch
assert kmsearch.__file__.startswith(sys.argv[1]), f"kmsearch imported from {kmsearch.__file__}"
from kmsearch.index import openvinomodel
# without its calibration texts the int8 export fails and PyTorch quietly takes over
assert openvinomodel.CALIBRATION.is_file(), f"{openvinomodel.CALIBRATION} is not in the wheel"
PY
kmsearch="$scratch/venv/bin/kmsearch"
unset KMSEARCH_DB KMSEARCH_DB_PATH KMSEARCH_INDEX_DIR KMSEARCH_CORPUS_DIR KMSEARCH_INSTANCE_DIR
"$kmsearch" init
"$kmsearch" ingest                     # no corpus here: the taxonomy and evaluation shipped
"$kmsearch" ingest "$scratch/sample"   # one case note, then the indexes
port=$("$venv_python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$kmsearch" serve --port "$port" --threads 2 > "$scratch/serve.log" 2>&1 &
server=$!

"$venv_python" - "$port" "$case_id" "$site" <<'PY' || { cat "$scratch/serve.log"; exit 1; }
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

port, case_id, site = sys.argv[1], sys.argv[2], Path(sys.argv[3])
base = f"http://127.0.0.1:{port}"


def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


deadline = time.monotonic() + 600
while True:
    try:
        get("/")
        break
    except OSError:
        if time.monotonic() > deadline:
            sys.exit("wheel-check: the server did not answer within 600 s")
        time.sleep(0.5)

expected = {
    "/": "<html",
    "/search?q=water": "<html",
    f"/cases/{case_id}": "eTIR",
    "/static/kmsearch.css": "{",
    "/api/v1/openapi.json": '"openapi"',
}
failed = []
for path, text in expected.items():
    status, body = get(path)
    print(f"wheel-check: GET {path} -> {status}")
    if status != 200 or text not in body:
        failed.append(f"{path}: {status} {body[:200]!r}")
status, body = get("/no-such-page")
print(f"wheel-check: GET /no-such-page -> {status}")
if status != 404 or "<html" not in body:
    failed.append(f"/no-such-page: {status} (the error page must render)")
written = [p for p in (site / "kmsearch").rglob("*") if p.name in ("secret_key", "kmsearch.db")]
written += [p for p in (site / "instance", site / "indexes") if p.exists()]
if written:
    failed.append(f"files written into site-packages: {written}")
if failed:
    sys.exit("wheel-check failed:\n" + "\n".join(failed))
PY
test -s instance/secret_key && test -s instance/kmsearch.db
echo "wheel-check: ok (the instance lives in the working folder: $(ls instance | tr '\n' ' '))"
