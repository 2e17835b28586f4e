//! Our conformance suite, in the style of riscv-tests: small hand-assembled guest programs run
//! in a physical-memory M-mode environment and in a Sv39 S/U-mode environment. Every module but
//! `decode_cache` uses only the `Engine` API through `cpu`, so the translator runs them too.

mod asm;
mod atomics;
mod cpu;
mod csrs;
mod decode_cache;
mod engine;
mod fp_arith;
mod fp_compare;
mod fp_convert;
mod fp_qemu;
mod fp_state;
mod int;
mod interrupts;
mod mem;
mod sstc;
mod sv39;
mod traps;
