# Sourced by the other scripts: shared paths and the wasm32 toolchain choice. No side effects besides exports.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export WEBREWARD_CACHE=${WEBREWARD_CACHE:-$HOME/.cache/webreward}
export WEBREWARD_MODELS=${WEBREWARD_MODELS:-$WEBREWARD_CACHE/models}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR_WEBREWARD:-$WEBREWARD_CACHE/xdg}   # 0700 dir: silences lavapipe
NODE_DIR=$WEBREWARD_CACHE/node
TOOLS=$WEBREWARD_CACHE/tools
export PATH="$TOOLS/bin:$NODE_DIR/node_modules/.bin:$PATH"
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner CHROMEDRIVER=/usr/bin/chromedriver
WASM_RUSTFLAGS="-C target-feature=+simd128"
# Prefer the user's rustup wasm32 target; otherwise Debian rustc-web 1.96 + -Zbuild-std (RECIPE.sh).
if command -v rustup >/dev/null 2>&1 && rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  WASM_TOOLCHAIN=rustup; WASM_CARGO=(cargo); WASM_STD=()
else
  WASM_TOOLCHAIN=debian; WASM_CARGO=(env PATH="$TOOLS/bin:$NODE_DIR/node_modules/.bin:/usr/bin:$PATH" RUSTC_BOOTSTRAP=1
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22 /usr/bin/cargo)
  WASM_STD=(-Zbuild-std=std,panic_abort)
fi
WASM_CARGO=("${WASM_CARGO[@]}")
wasm_cargo() { RUSTFLAGS="$WASM_RUSTFLAGS" CARGO_TARGET_DIR="$ROOT/target/wasm" "${WASM_CARGO[@]}" "$@"; }
tic() { T0=$(date +%s); }
toc() { echo "[time] $1: $(( $(date +%s) - T0 )) s"; }
