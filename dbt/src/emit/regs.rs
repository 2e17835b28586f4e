//! The static map of hot guest registers to host registers. Inside translated code a mapped
//! guest register lives only in its host register: the trampoline loads them all from the
//! [`Hart`](ospite_interp::Hart), the epilogue stores them all back, and a helper call stores
//! what the helper may read or clobber and reloads it after. Every exit goes through the
//! epilogue, so the hart is exact whenever the runtime looks.
//!
//! The choice is by use in compiled RISC-V code (GCC allocates `a5`, `a4`, ... first): the three
//! most used sit in callee-saved host registers, which survive helper calls (`r15`, also
//! callee-saved, holds the budget).

use iced_x86::code_asm::*;

/// A host register in its four widths.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Host {
    pub q: AsmRegister64,
    pub d: AsmRegister32,
    pub w: AsmRegister16,
    pub b: AsmRegister8,
    /// Whether a call may clobber it (System V): it is saved around helper calls.
    pub caller_saved: bool,
}

const fn host(q: AsmRegister64, d: AsmRegister32, w: AsmRegister16, b: AsmRegister8) -> Host {
    Host {
        q,
        d,
        w,
        b,
        caller_saved: false,
    }
}

const fn clobbered(mut h: Host) -> Host {
    h.caller_saved = true;
    h
}

/// (guest register, host register), every mapped register.
pub(crate) const MAP: [(u8, Host); 8] = [
    (15, host(r12, r12d, r12w, r12b)),            // a5
    (14, host(r13, r13d, r13w, r13b)),            // a4
    (13, host(r14, r14d, r14w, r14b)),            // a3
    (12, clobbered(host(rdi, edi, di, dil))),     // a2
    (2, clobbered(host(r8, r8d, r8w, r8b))),      // sp
    (11, clobbered(host(r9, r9d, r9w, r9b))),     // a1
    (10, clobbered(host(r10, r10d, r10w, r10b))), // a0
    (5, clobbered(host(r11, r11d, r11w, r11b))),  // t0
];

/// Where guest register `r` lives in translated code: a host register, or `None` for the
/// hart's memory.
#[inline]
pub(crate) fn mapped(r: u8) -> Option<Host> {
    MAP.iter().find(|(g, _)| *g == r).map(|(_, h)| *h)
}
