#!/usr/bin/env bash
# Trunk post_build hook (Trunk.toml), run in Trunk's staging directory before it becomes
# target/site/pkg. Uses only installed tools (scripts/setup.sh installs them: brotli from
# Debian, binaryen's wasm-opt from npm into hydrate/node_modules); downloads nothing.
#   1. wasm-opt -Oz the hydrate bundle (Trunk's own wasm-opt is off: data-wasm-opt="0").
#   2. Names the bundle after its content: agentry_hydrate.<hash>.js and
#      agentry_hydrate.<hash>_bg.wasm, and writes that output name to
#      hydrate-output-name.txt, which the server reads to point Leptos' loader at them
#      (they are then cached as immutable).
#   3. Precompresses every text/wasm file next to itself as .br and .gz, which the server
#      sends as they are (Content-Encoding br/gzip).
#   4. Checks the 610 KB budget (wasm + JS, brotli): the build fails above it
#      (AGENTRY_BUNDLE_BUDGET_STRICT=0 makes it a warning; see "Hydrate bundle" in
#      docs/PERFORMANCE.md).
# Usage: STAGE=<dir> bash hydrate/post-build.sh (Trunk sets TRUNK_STAGING_DIR).
set -euo pipefail
stage="${STAGE:-${TRUNK_STAGING_DIR:?run by Trunk, or set STAGE}}"
budget="${AGENTRY_BUNDLE_BUDGET:-610000}" # bytes, brotli, wasm + JS
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Not Debian's binaryen 108: it turns wasm-bindgen's externref table into anyref.
wasm_opt="${WASM_OPT:-$here/node_modules/.bin/wasm-opt}"
say() { echo "hydrate/post-build.sh: $*" >&2; }
for tool in "$wasm_opt" brotli gzip sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || { say "$tool not found; run scripts/setup.sh"; exit 1; }
done
cd "$stage"

js=agentry-hydrate.js
wasm=agentry-hydrate_bg.wasm
[[ -f "$js" && -f "$wasm" ]] || { say "no $js / $wasm in $stage"; exit 1; }

# 1. The WebAssembly features rustc's default wasm32 target emits (Rust >= 1.82/1.87).
raw_before=$(wc -c <"$wasm")
"$wasm_opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  --strip-debug --strip-producers "$wasm" -o "$wasm.opt"
mv -f "$wasm.opt" "$wasm"
say "wasm-opt -Oz ($("$wasm_opt" --version)): $raw_before -> $(wc -c <"$wasm") bytes"

# 2. Content-hashed names (one hash over both files: the JS glue and the wasm go together).
hash=$(cat "$js" "$wasm" | sha256sum | cut -c1-16)
name="agentry_hydrate.$hash"
mv -f "$js" "$name.js"
mv -f "$wasm" "${name}_bg.wasm"
printf '%s\n' "$name" >hydrate-output-name.txt
# Trunk's own index.html (unused: the server renders every page) names the old files.
rm -f index.html

# 3. Precompressed copies, kept only when smaller.
find . -type f \( -name '*.js' -o -name '*.mjs' -o -name '*.wasm' -o -name '*.css' \
  -o -name '*.json' -o -name '*.map' -o -name '*.svg' -o -name '*.ts' \) -print0 |
  while IFS= read -r -d '' f; do
    brotli -f -q 11 -o "$f.br" -- "$f"
    gzip -f -9 -n -k -- "$f"
    size=$(wc -c <"$f")
    (($(wc -c <"$f.br") < size)) || rm -f "$f.br"
    (($(wc -c <"$f.gz") < size)) || rm -f "$f.gz"
  done

# 4. The budget.
size() { if [[ -f "$1.br" ]]; then wc -c <"$1.br"; else wc -c <"$1"; fi; }
on_wire=$(($(size "${name}_bg.wasm") + $(size "$name.js")))
say "$name: wasm $(wc -c <"${name}_bg.wasm") B raw, $(wc -c <"${name}_bg.wasm.gz") B gzip, \
$(size "${name}_bg.wasm") B brotli; JS $(wc -c <"$name.js") B raw, $(size "$name.js") B brotli"
if ((on_wire > budget)); then
  say "hydrate bundle is $on_wire bytes brotli (wasm + JS), over the $budget-byte budget"
  [[ "${AGENTRY_BUNDLE_BUDGET_STRICT:-1}" == 0 ]] && { say "(AGENTRY_BUNDLE_BUDGET_STRICT=0: a warning only)"; exit 0; }
  exit 1
fi
say "hydrate bundle on the wire (brotli, wasm + JS): $on_wire bytes (budget $budget)"
