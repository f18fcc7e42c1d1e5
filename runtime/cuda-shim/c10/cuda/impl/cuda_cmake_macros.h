// The one header of LibTorch's CUDA API that its CMake generates
// (c10/cuda/impl/cuda_cmake_macros.h.in) and that Debian's CPU-only
// libtorch-dev 1.13 does not ship. runtime/CMakeLists.txt puts this folder on
// the include path only for a LibTorch that lacks the header, so that the GPU
// sources compile (unlinked) on every build; a LibTorch with CUDA brings its
// own.
#pragma once

#define C10_CUDA_BUILD_SHARED_LIBS
