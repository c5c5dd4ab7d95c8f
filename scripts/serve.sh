#!/usr/bin/env bash
# The README main command: setup, build pkg/, serve www/ on 127.0.0.1 (localhost is a secure context, so
# navigator.gpu is exposed) with a static server that sends application/wasm for .wasm.
set -euo pipefail
DIR=$(dirname "$0")
bash "$DIR/setup.sh"
bash "$DIR/build-wasm.sh"
source "$DIR/env.sh"
PORT=${PORT:-8080}
echo "webreward demo: http://127.0.0.1:$PORT/"
exec python3 "$ROOT/scripts/static_server.py" "$ROOT/www" "$PORT"
