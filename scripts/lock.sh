#!/usr/bin/env bash
# Regenerate requirements.lock (runtime) and requirements-test.lock (test extras) from pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
deps() { python3 -c "import tomllib,sys; p=tomllib.load(open('pyproject.toml','rb'))['project']; print('\n'.join(p['dependencies'] if sys.argv[1]=='run' else p['optional-dependencies']['test']))" "$1"; }
deps run > "$tmp/run.in"; deps test > "$tmp/test.in"
"$tmp/venv/bin/pip" install -q --no-warn-script-location --disable-pip-version-check -r "$tmp/run.in"
"$tmp/venv/bin/pip" freeze | LC_ALL=C sort > "$tmp/runtime.txt"
"$tmp/venv/bin/pip" install -q --no-warn-script-location --disable-pip-version-check -r "$tmp/run.in" -r "$tmp/test.in"
"$tmp/venv/bin/pip" freeze | LC_ALL=C sort > "$tmp/all.txt"
{ echo "# Runtime dependencies, exact versions. Regenerate with scripts/lock.sh."; cat "$tmp/runtime.txt"; } > requirements.lock
{ echo "# Test dependencies on top of requirements.lock. Regenerate with scripts/lock.sh."; echo "-r requirements.lock"; LC_ALL=C comm -13 "$tmp/runtime.txt" "$tmp/all.txt"; } > requirements-test.lock
echo "wrote requirements.lock ($(grep -vc '^#' requirements.lock) pins) and requirements-test.lock"
