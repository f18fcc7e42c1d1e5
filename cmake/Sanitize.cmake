# `make test-sanitize` (docs/limits.md): every target of this project (not
# LibTorch, MLIR or LLVM, which come prebuilt) with AddressSanitizer and
# UBSan. vptr is off: LLVM-side targets are built without RTTI.
set(DUALPIPE_SANITIZE_FLAGS -fsanitize=address,undefined
    -fno-sanitize=vptr -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer -g1)
add_compile_options(${DUALPIPE_SANITIZE_FLAGS})
add_link_options(${DUALPIPE_SANITIZE_FLAGS})

# What the one test whose executable is not ours (/usr/bin/python3 loading
# the extensions; python/CMakeLists.txt) preloads: the ASan runtime, which
# must come first, and libstdc++, which the interpreter does not link, so
# that ASan finds the real __cxa_throw when it starts (else the first C++
# exception is a CHECK failure).
set(DUALPIPE_SANITIZE_PRELOAD)
foreach(lib libasan.so libstdc++.so)
  execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=${lib}
    OUTPUT_VARIABLE path OUTPUT_STRIP_TRAILING_WHITESPACE)
  list(APPEND DUALPIPE_SANITIZE_PRELOAD ${path})
endforeach()
list(JOIN DUALPIPE_SANITIZE_PRELOAD ":" DUALPIPE_SANITIZE_PRELOAD)

# ctest reads CTestCustom.cmake from the build folder, so a plain
# `ctest --test-dir build-sanitize` runs with the sanitizer options and the
# report check of cmake/CTestCustom.sanitize.cmake.in.
set(DUALPIPE_SANITIZER_REPORTS ${PROJECT_BINARY_DIR}/sanitizer-reports)
configure_file(${CMAKE_CURRENT_LIST_DIR}/CTestCustom.sanitize.cmake.in
  ${PROJECT_BINARY_DIR}/CTestCustom.cmake @ONLY)
