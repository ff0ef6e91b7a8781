# Sourced by scripts/test and scripts/demo: make .venv and install the project into it, once per change.
# Works on a fresh machine with only Python >= 3.11 and network access to PyPI.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PYTHON="$candidate"; break
    fi
  done
fi
[ -n "$PYTHON" ] || { echo "error: Python >= 3.11 is needed (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

# Airflow 3.3.2 is what we develop and test on; cadwyn is pinned because pip otherwise backtracks for minutes
# between fastapi and cadwyn releases (airflow-core caps fastapi below cadwyn 9's floor).
INSTALL_SPEC=(-e ".[test,bench]" "apache-airflow==3.3.2" "cadwyn==7.0.0")
STAMP_INPUT="$(cat pyproject.toml scripts/_env.sh | sha256sum | cut -c1-16)"

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
if [ "$(cat .venv/.installed 2>/dev/null)" != "$STAMP_INPUT" ]; then
  echo "==> installing airflow-provider-ghl and its test tools into .venv (first run takes 1-3 minutes)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet "${INSTALL_SPEC[@]}"
  echo "$STAMP_INPUT" > .venv/.installed
fi
export PATH="$ROOT/.venv/bin:$PATH"
