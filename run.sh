#!/usr/bin/env bash
# ssnn in one command, on a fresh machine:
#   ./run.sh app     install what the dashboard needs (in .venv) and open it
#   ./run.sh test    install the test tools (in .venv) and run every test
# Extra arguments go to streamlit (app) or pytest (test).
set -euo pipefail
cd "$(dirname "$0")"
VENV=${SSNN_VENV:-.venv}
PY=${PYTHON:-python3}

ensure_venv() {
  local req=$1 stamp="$VENV/.installed-$(basename "$1")"
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
  fi
  if [ ! -f "$stamp" ] || [ "$req" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -r "$req"
    touch "$stamp"
  fi
}

# Use the MNIST copy beside the checkout when nothing else was said (see README, "Data").
if [ -z "${SSNN_MNIST:-}" ] && [ -f ../shared/data/mnist.npz ]; then
  export SSNN_MNIST="$(cd ../shared/data && pwd)/mnist.npz"
fi

cmd=${1:-}
shift || true
case "$cmd" in
  app)
    ensure_venv requirements.txt
    exec "$VENV/bin/python" -m streamlit run app.py "$@"
    ;;
  test)
    ensure_venv requirements-dev.txt
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    echo "usage: ./run.sh app|test [args...]" >&2
    exit 2
    ;;
esac
