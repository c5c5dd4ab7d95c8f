#!/usr/bin/env bash
# The README test command: setup, then all tiers with their wall times:
#   (a) native cargo test on Vulkan (lavapipe), GPU required; (b) wasm-bindgen-test in headless Chromium (WebGPU);
#   (c) Playwright e2e against the demo shell (WebGPU and CPU fallback).
set -euo pipefail
DIR=$(dirname "$0")
bash "$DIR/setup.sh"
source "$DIR/env.sh"
cd "$ROOT"
tic; WEBREWARD_REQUIRE_GPU=1 cargo test; toc "tier a: native cargo test (lavapipe)"; TA=$T0
tic; wasm_cargo test --target wasm32-unknown-unknown "${WASM_STD[@]}" --test web; toc "tier b: wasm cargo test (headless Chromium)"
tic; bash "$DIR/build-wasm.sh"; node tests/e2e/run.mjs; toc "tier c: build pkg + Playwright e2e"
echo "[time] all tiers: $(( $(date +%s) - TA )) s"
