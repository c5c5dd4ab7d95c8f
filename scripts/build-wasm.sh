#!/usr/bin/env bash
# Builds the npm package into pkg/ (wasm-bindgen --target web, then wasm-opt -O3 from npm binaryen) and links it
# into www/pkg for the demo shell. Profile `wasm` (lto, panic=abort), SIMD128 for the CPU path.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
tic
wasm_cargo build --profile wasm --target wasm32-unknown-unknown --lib "${WASM_STD[@]}"
wasm-bindgen --target web --out-dir pkg --out-name webreward target/wasm/wasm32-unknown-unknown/wasm/webreward.wasm
wasm-opt -O3 --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-reference-types --enable-mutable-globals pkg/webreward_bg.wasm -o pkg/webreward_bg.opt.wasm
mv pkg/webreward_bg.opt.wasm pkg/webreward_bg.wasm
rm -rf www/pkg && ln -s ../pkg www/pkg
ls -l pkg/webreward_bg.wasm
toc "wasm build (pkg/)"
