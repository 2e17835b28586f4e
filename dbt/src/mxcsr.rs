//! The host's MXCSR as the accumulator of the exception flags of translated FP code.
//!
//! Translated arithmetic runs with MXCSR's controls as Rust leaves them (every exception
//! masked, round to nearest even, no flush-to-zero or denormals-are-zero) and does not look
//! at the flags it raises: they gather in MXCSR, sticky, and reach `fflags` whenever control
//! leaves translated code, at a helper call (before the interpreter runs an instruction, which
//! may read `fflags`) and at the return to the runtime. x86 raises them as RISC-V does for the
//! operations translated code does on the host: PE is NX, UE is UF (both detect tininess after
//! rounding, and a masked underflow is flagged only when also inexact), OE is OF, ZE is DZ, and
//! IE is NV (an invalid operation, or a signalling NaN operand; where x86 raises it and RISC-V
//! does not, as for a conversion out of range, translated code puts MXCSR back and hands the
//! instruction to the interpreter). DE is dropped: RISC-V has no denormal-operand flag.

use std::arch::asm;

/// MXCSR with every exception masked, round to nearest even, no flush-to-zero or
/// denormals-are-zero, flags clear: what Rust code runs with.
pub(crate) const CLEAN: u32 = 0x1f80;

/// Clears MXCSR's flags (and sets its controls to [`CLEAN`]'s).
pub(crate) fn reset() {
    let csr = CLEAN;
    // SAFETY: `ldmxcsr` reads the four bytes of `csr`, a valid MXCSR value (no reserved bit)
    // with the controls the Rust ABI expects.
    unsafe {
        asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, readonly, preserves_flags));
    }
}

/// The flags MXCSR gathered, as `fflags` bits; clears them.
pub(crate) fn take_fflags() -> u64 {
    let mut csr: u32 = 0;
    // SAFETY: `stmxcsr` writes the four bytes of `csr`.
    unsafe {
        asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack, preserves_flags));
    }
    if csr & 0x3f == 0 {
        return 0;
    }
    reset();
    fflags_of(csr)
}

/// MXCSR's PE, UE, OE, ZE and IE as `fflags`' NX, UF, OF, DZ and NV.
fn fflags_of(csr: u32) -> u64 {
    const PE: u32 = 0x20;
    const UE: u32 = 0x10;
    const OE: u32 = 0x08;
    const ZE: u32 = 0x04;
    const IE: u32 = 0x01;
    [(PE, 1), (UE, 2), (OE, 4), (ZE, 8), (IE, 16)]
        .iter()
        .filter(|(bit, _)| csr & bit != 0)
        .map(|(_, flag)| flag)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_map_to_fflags_and_denormal_is_dropped() {
        assert_eq!(fflags_of(CLEAN), 0);
        assert_eq!(fflags_of(CLEAN | 0x20), 1);
        assert_eq!(fflags_of(CLEAN | 0x30), 3);
        assert_eq!(fflags_of(CLEAN | 0x28), 5);
        assert_eq!(fflags_of(CLEAN | 0x04), 8);
        assert_eq!(fflags_of(CLEAN | 0x03), 16);
        assert_eq!(fflags_of(CLEAN | 0x02), 0);
    }

    #[test]
    fn host_arithmetic_raises_flags_that_are_taken_once() {
        reset();
        let third = std::hint::black_box(1.0f64) / std::hint::black_box(3.0f64);
        assert!(third > 0.0);
        assert_eq!(take_fflags(), 1);
        assert_eq!(take_fflags(), 0);
        let inf = std::hint::black_box(1.0f64) / std::hint::black_box(0.0f64);
        assert!(inf.is_infinite());
        assert_eq!(take_fflags(), 8);
    }
}
