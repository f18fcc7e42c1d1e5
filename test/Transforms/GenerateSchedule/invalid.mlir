// Invalid requests name the violated constraint and emit nothing.
// RUN: dualpipe-opt %s -split-input-file -verify-diagnostics --pipe-generate-schedule
// RUN: not dualpipe-opt %s -split-input-file --pipe-generate-schedule 2>/dev/null | not grep pipe
// RUN: not dualpipe-opt %s --pipe-generate-schedule="kind=foo" 2>&1 | FileCheck %s --check-prefix=KIND
// RUN: echo | not dualpipe-opt - --pipe-generate-schedule="kind=1f1b ranks=0 microbatches=4" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: echo | not dualpipe-opt - --pipe-generate-schedule="kind=gpipe ranks=2 microbatches=-3" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: echo | not dualpipe-opt - --pipe-generate-schedule="kind=1f1b ranks=2" 2>&1 | FileCheck %s --check-prefix=MISSING

// KIND: error: unknown schedule kind 'foo'; expected one of dualpipe, dualpipev, 1f1b, interleaved-1f1b, zb-h1, zbv, gpipe
// ZERO: error: ranks must be positive, got 0
// NEGATIVE: error: microbatches must be positive, got -3
// MISSING: error: missing microbatches: give it as an option or on the pipeline
// RUN: echo | not dualpipe-opt - --pipe-generate-schedule="kind=1f1b ranks=4 microbatches=8 virtual-stages=2" 2>&1 | FileCheck %s --check-prefix=VIRTUAL
// VIRTUAL: error: virtual-stages=2 applies to interleaved-1f1b only, not to 1f1b

// The error stands at the pipeline whose attribute gave the value.
// expected-error @+1 {{'pipe.pipeline' op dualpipe requires an even number of ranks, got 3}}
pipe.pipeline @odd_ranks ranks(3) microbatches(12) schedule(dualpipe)

// -----

// A constraint between two values notes the other one and where it came from.
// expected-error @+2 {{'pipe.pipeline' op dualpipe requires microbatches >= 2 * ranks (8), got 6}}
// expected-note @+1 {{ranks is 4 (the pipeline's attribute)}}
pipe.pipeline @few ranks(4) microbatches(6) schedule(dualpipe)

// -----

// expected-error @+1 {{dualpipe requires an even number of microbatches, got 9}}
pipe.pipeline @odd_mbs ranks(4) microbatches(9) schedule(dualpipe)

// -----

// expected-error @+2 {{dualpipev requires microbatches >= 2 * ranks (8), got 6}}
// expected-note @+1 {{ranks is 4 (the pipeline's attribute)}}
pipe.pipeline @fewv ranks(4) microbatches(6) schedule(dualpipev)

// -----

// expected-error @+1 {{'pipe.pipeline' op layout has 3 entries, but 1f1b on 2 ranks has 2 stages}}
pipe.pipeline @layout ranks(2) microbatches(4) schedule("1f1b") layout([1, 1, 1])

// -----

// Only auto's layout is halved for a two-stage-per-rank placement.
// expected-error @+1 {{'pipe.pipeline' op layout has 2 entries, but dualpipev on 2 ranks has 4 stages}}
pipe.pipeline @halves ranks(2) microbatches(4) schedule(dualpipev) layout([2, 2])
