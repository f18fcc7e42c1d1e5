#!/bin/bash
# Usage: scripts/gpu-bundle.sh BUILD_DIR OUT
# Writes what scripts/gpu-check.sh needs on a GPU machine that has PyTorch,
# CUDA, NCCL, CMake and ninja but no MLIR and no network: program files
# compiled here, nlohmann-json (headers and CMake config) and the GoogleTest
# sources. Fails if the result exceeds 64 MiB.
set -euo pipefail
build=$1 out=$2
opt=$build/bin/dualpipe-opt translate=$build/bin/dualpipe-translate
for tool in "$opt" "$translate"; do
  [ -x "$tool" ] || { echo "gpu-bundle: error: $tool is missing (run make build)" >&2; exit 1; }
done
rm -rf "$out" && mkdir -p "$out/programs" "$out/deps/prefix/include" "$out/deps/prefix/share/cmake"
compile() { # KIND RANKS MICROBATCHES NAME [SPEC, default examples/NAME.mlir]
  "$opt" "${5:-examples/$4.mlir}" --pipe-lower="kind=$1 ranks=$2 microbatches=$3" |
    "$translate" --pipe-to-program -o "$out/programs/$4-$1-$2x$3.json"
}
compile dualpipe 8 20 mlp
compile dualpipe 8 20 transformer
# The transformer example in bfloat16.
bf16_spec=$(mktemp --suffix=.mlir)
trap 'rm -f "$bf16_spec"' EXIT
sed 's/seed = \([0-9]*\)/seed = \1, dtype = "bfloat16"/' examples/transformer.mlir > "$bf16_spec"
grep -q 'dtype = "bfloat16"' "$bf16_spec" || { echo "gpu-bundle: error: could not make the bfloat16 transformer spec" >&2; exit 1; }
compile dualpipe 8 20 transformer-bf16 "$bf16_spec"
for kind in 1f1b interleaved-1f1b zb-h1 zbv gpipe dualpipe dualpipev; do
  compile "$kind" 4 8 mlp
done
# For --backend nccl (one rank per GPU): programs that pass the in-order
# verification, at 2 and 8 ranks.
compile_in_order() { # KIND RANKS MICROBATCHES EXAMPLE
  "$opt" "examples/$4.mlir" --pipe-lower="kind=$1 ranks=$2 microbatches=$3 policy=in-order" |
    "$translate" --pipe-to-program -o "$out/programs/$4-$1-$2x$3-in-order.json"
}
compile_in_order 1f1b 2 4 mlp
compile_in_order dualpipe 2 4 mlp
compile_in_order dualpipe 8 20 mlp
cp -r /usr/include/nlohmann "$out/deps/prefix/include/"
cp -r /usr/share/cmake/nlohmann_json "$out/deps/prefix/share/cmake/"
cp -r /usr/src/googletest "$out/deps/googletest"
size=$(du -sm "$out" | cut -f1)
if [ "$size" -gt 64 ]; then
  echo "gpu-bundle: error: $out is $size MiB, over the 64 MiB limit" >&2
  exit 1
fi
echo "gpu-bundle: $out ($size MiB): $(ls "$out/programs" | wc -l) program files, nlohmann-json, googletest"
