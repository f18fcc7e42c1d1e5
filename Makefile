# Two entry points: `make demo` and `make test`. Both install what is missing
# (Debian packages, as root), configure and build incrementally, so a second
# run with nothing changed only re-runs the demo or the tests.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
               -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
               -DCMAKE_BUILD_TYPE=Release

.PHONY: all deps configure build test test-sanitize fuzz fuzz-smoke soak demo bench gpu-bundle clean

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

# The whole ctest suite with AddressSanitizer and UBSan, in its own build
# folder. Only this project's code is instrumented; LibTorch and MLIR are
# prebuilt libraries. The sanitizer options and the check that no test left
# a report are in the folder's CTestCustom.cmake (cmake/Sanitize.cmake), so
# a plain `ctest --test-dir build-sanitize` runs the same way.
SANITIZE_DIR ?= build-sanitize

$(SANITIZE_DIR)/build.ninja: | deps
	cmake -G Ninja -S . -B $(SANITIZE_DIR) $(CMAKE_FLAGS) -DDUALPIPE_SANITIZE=ON \
	  -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON

test-sanitize: deps $(SANITIZE_DIR)/build.ninja
	cmake --build $(SANITIZE_DIR) -j $(JOBS)
	ctest --test-dir $(SANITIZE_DIR) --output-on-failure -j $(JOBS)

# libFuzzer targets (fuzz/) with Debian's clang, in their own build folder:
# only the fuzzers and the libraries they fuzz, instrumented with ASan. Each
# runs FUZZ_SECONDS from seeds made of the test inputs (scripts/fuzz.sh).
FUZZ_DIR ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_CXX ?= clang++-14
FUZZ_CC ?= clang-14
FUZZERS := fuzz-mlir fuzz-torch-csv fuzz-program

$(FUZZ_DIR)/build.ninja: | deps
	cmake -G Ninja -S . -B $(FUZZ_DIR) $(CMAKE_FLAGS) -DDUALPIPE_FUZZ=ON \
	  -DCMAKE_CXX_COMPILER=$(FUZZ_CXX) -DCMAKE_C_COMPILER=$(FUZZ_CC) \
	  -DDUALPIPE_BUILD_RUNTIME=OFF -DDUALPIPE_BUILD_PYTHON=OFF \
	  -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON

fuzz: build $(FUZZ_DIR)/build.ninja
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(FUZZERS)
	scripts/fuzz.sh $(FUZZ_DIR) $(BUILD_DIR) $(FUZZ_SECONDS)

# CI's smoke of each fuzzer (.ci/run).
FUZZ_SMOKE_SECONDS ?= 30
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SMOKE_SECONDS)

# The runtime's unit tests SOAK_RUNS times in a row with one core loaded.
SOAK_RUNS ?= 50
soak: build
	scripts/soak.sh $(BUILD_DIR) $(SOAK_RUNS)

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
