#!/usr/bin/env bash
# The sanitizer report folder of `make test-sanitize`
# (cmake/CTestCustom.sanitize.cmake.in):
#   sanitizer-reports.sh clear DIR   empties it before the tests;
#   sanitizer-reports.sh check DIR   prints every report and fails if any.
set -euo pipefail
mode=$1 dir=$2
case $mode in
clear)
  rm -rf "$dir"
  mkdir -p "$dir"
  ;;
check)
  shopt -s nullglob
  reports=("$dir"/*)
  ((${#reports[@]} == 0)) && exit 0
  for report in "${reports[@]}"; do
    echo "==== sanitizer report $report"
    cat "$report"
  done
  echo "sanitizer-reports: ${#reports[@]} report(s) in $dir: the run fails"
  exit 1
  ;;
*)
  echo "usage: sanitizer-reports.sh clear|check DIR" >&2
  exit 2
  ;;
esac
