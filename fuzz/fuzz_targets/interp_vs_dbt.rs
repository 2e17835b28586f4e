//! Fuzz target `interp_vs_dbt`: the fuzzer's bytes are guest code (raw instruction parcels,
//! valid or not: illegal ones trap) run by the interpreter and by the translator (every block
//! translated at once, and translated after one to four runs) from the same state, in lockstep
//! over three budgets; the stop reasons, the whole architectural state and all of RAM must be
//! the same after each, or the target panics with what differed.
//!
//! The machine is the equivalence tests' (`dbt/tests/support`): RAM at `0x8000_0000`, a trap
//! handler that counts causes and steps over the trapping instruction, a data region two pages
//! long, and optionally S-mode under Sv39 page tables with pages of every kind. Input layout:
//!
//! | bytes | meaning |
//! | --- | --- |
//! | 0 | flags: 0 no C, 1 Sv39 S-mode, 2 FS off, 3-4 second engine's threshold - 1, 5 blocks of at most 3 instructions, 6 an 8 KiB code cache, 7 debug breakpoints |
//! | 1 | the code starts `2 * byte` bytes before a page boundary |
//! | 2, 3 | the first two budgets - 1 (the third is 1,000) |
//! | 4.. | the code (at most 4 KiB), followed by `wfi` in a loop |
//!
//! The registers and the data region come from a seed made of the first four bytes (a short
//! header lets libFuzzer, which starts with short inputs, reach code at once).

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../dbt/tests/support/mod.rs"]
mod support;

use support::fuzz::FuzzCase;

fuzz_target!(|data: &[u8]| {
    if let Some(case) = FuzzCase::new(data) {
        if let Err(e) = case.compare() {
            panic!("{e}");
        }
    }
});
