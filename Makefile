# Two entry points: `make demo` and `make test`. Both install what is missing
# (Debian packages, as root), configure and build incrementally, so a second
# run with nothing changed only re-runs the demo or the tests.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
               -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
               -DCMAKE_BUILD_TYPE=Release

.PHONY: all deps configure build test demo bench gpu-bundle clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/build.ninja: | deps
	cmake -G Ninja -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

configure: deps $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD_DIR)

bench: build
	@scripts/bench.sh $(BUILD_DIR)

# Inputs of scripts/gpu-check.sh for a GPU machine without MLIR or network
# (docs/gpu.md): program files, nlohmann-json and the GoogleTest sources.
gpu-bundle: build
	@scripts/gpu-bundle.sh $(BUILD_DIR) $(BUILD_DIR)/gpu-bundle

clean:
	rm -rf $(BUILD_DIR)
