//! `ospite-interp`: the RV64GC hart and its semantics, the oracle for every other engine.
//!
//! Not built yet: this crate's work is tracked in its own issue. It exports nothing so far.
#![forbid(unsafe_code)]
