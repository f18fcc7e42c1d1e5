// A pass option that replaces a pipeline's value: the error still stands at
// the pipeline it was generated for, and a note says that the option, not the
// pipeline's attribute, gave the value.
// RUN: dualpipe-opt %s -split-input-file -verify-diagnostics --pipe-generate-schedule="ranks=3"

// expected-error @+2 {{'pipe.pipeline' op dualpipe requires an even number of ranks, got 3}}
// expected-note @+1 {{ranks comes from the pass option, not from the pipeline}}
pipe.pipeline @odd ranks(4) microbatches(12) schedule(dualpipe)

// -----

// expected-error @+2 {{'pipe.pipeline' op dualpipev requires microbatches >= 2 * ranks (6), got 4}}
// expected-note @+1 {{ranks is 3 (the pass option)}}
pipe.pipeline @few ranks(2) microbatches(4) schedule(dualpipev)
