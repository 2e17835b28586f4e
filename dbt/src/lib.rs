//! `ospite-dbt`: dynamic binary translation of RISC-V guest code to x86-64.
//!
//! Not built yet: this crate's work is tracked in its own issue. It exports nothing so far.
