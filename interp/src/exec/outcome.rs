//! What a block handler tells the block loop, in two words so that it comes back in registers
//! (a `Result<u64, Exception>` is returned through memory). A handler that carries on runs the
//! next instruction's handler itself (see `handlers`), so an outcome reaches the block loop only
//! when the block's run stops, with the place in the block of the instruction that stopped it
//! (how many instructions of the block as run follow it).

use crate::trap::{Exception, ExceptionCause};

/// A handler's result: [`Outcome::NEXT`], or one of the other codes with its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// What happened (the `CODE_*` constants, or a fault) in the low byte; above it, once the
    /// outcome leaves its handler, how many instructions of the block follow its instruction
    /// ([`Outcome::after`]).
    pub code: u64,
    /// The physical address of a [`Outcome::stored`], the `tval` of a fault.
    pub value: u64,
}

/// The instruction completed; go on with the next one.
pub(crate) const CODE_NEXT: u64 = 0;
/// A jump completed and set the pc: the block is over.
pub(crate) const CODE_JUMPED: u64 = 1;
/// A store to RAM through the TLB's fast table completed; `value` is its physical address.
pub(crate) const CODE_STORED: u64 = 2;
/// A store, SC or AMO completed another way (a device, a TLB miss, across pages); `value` is
/// `rs1` as it was before.
pub(crate) const CODE_STORED_SLOW: u64 = 3;
/// The instruction ends the block and the engine executes it (a system instruction).
pub(crate) const CODE_END: u64 = 4;
/// The instruction completed and was the last of the block as run (its end, the budget's end).
pub(crate) const CODE_RAN_OUT: u64 = 5;
/// A branch back to its block's start was taken; the pc is unchanged (the start). Only
/// between a handler and its wrapper: the block loop sees [`CODE_JUMPED`].
pub(crate) const CODE_LOOPED: u64 = 6;
/// Faults are this plus the exception code.
const CODE_FAULT: u64 = 16;

/// Exception causes by code.
const CAUSES: [Option<ExceptionCause>; 16] = {
    use ExceptionCause::*;
    let mut t = [None; 16];
    let all = [
        InstructionAddressMisaligned,
        InstructionAccessFault,
        IllegalInstruction,
        Breakpoint,
        LoadAddressMisaligned,
        LoadAccessFault,
        StoreAddressMisaligned,
        StoreAccessFault,
        EcallFromU,
        EcallFromS,
        EcallFromM,
        InstructionPageFault,
        LoadPageFault,
        StorePageFault,
    ];
    let mut i = 0;
    while i < all.len() {
        t[all[i] as usize] = Some(all[i]);
        i += 1;
    }
    t
};

impl Outcome {
    /// Carry on.
    pub const NEXT: Outcome = Outcome::code(CODE_NEXT);

    /// An outcome without a value.
    #[inline(always)]
    pub const fn code(code: u64) -> Outcome {
        Outcome { code, value: 0 }
    }

    /// Carry on, with a value (a load's).
    #[inline(always)]
    pub const fn value(value: u64) -> Outcome {
        Outcome {
            code: CODE_NEXT,
            value,
        }
    }

    /// A store's outcome: its physical address, or for the slow path ([`super::NO_PHYS`]) the
    /// value `rs1` had before it (see [`CODE_STORED_SLOW`]).
    #[inline(always)]
    pub fn stored(pa: u64, base: u64) -> Outcome {
        if pa == super::NO_PHYS {
            Outcome {
                code: CODE_STORED_SLOW,
                value: base,
            }
        } else {
            Outcome {
                code: CODE_STORED,
                value: pa,
            }
        }
    }

    /// `code` on success, the fault otherwise.
    #[inline(always)]
    pub fn of(code: u64, r: Result<(), Exception>) -> Outcome {
        match r {
            Ok(()) => Outcome::code(code),
            Err(e) => Outcome::fault(e),
        }
    }

    /// A fault.
    #[inline(always)]
    pub fn fault(e: Exception) -> Outcome {
        Outcome {
            code: CODE_FAULT + e.cause.code(),
            value: e.tval,
        }
    }

    /// Whether this is a fault.
    #[inline(always)]
    pub fn is_fault(self) -> bool {
        self.kind() >= CODE_FAULT
    }

    /// The outcome of the instruction of its block followed by `rest` (the instructions after
    /// it, of the block as run), as its handler returns it.
    #[inline(always)]
    pub fn after<T>(self, rest: &[T]) -> Ended {
        let code = self.code | (rest.len() as u64) << 8;
        Ended(u128::from(code) | u128::from(self.value) << 64)
    }

    /// What happened: the `CODE_*` constant, or a fault's code.
    #[inline(always)]
    pub fn kind(self) -> u64 {
        self.code & 0xff
    }

    /// The index of the instruction this is the outcome of ([`Outcome::after`]) in its block
    /// as run, `len` instructions long.
    #[inline(always)]
    pub fn index(self, len: usize) -> usize {
        len - 1 - (self.code >> 8) as usize
    }

    /// The exception of a fault (of anything else, an illegal instruction: never asked).
    #[inline]
    pub fn exception(self) -> Exception {
        let cause = CAUSES[(self.kind().wrapping_sub(CODE_FAULT) & 15) as usize];
        Exception::new(
            cause.unwrap_or(ExceptionCause::IllegalInstruction),
            self.value,
        )
    }
}

/// An [`Outcome`] as a handler returns it ([`Outcome::after`]): one 128-bit scalar, code in
/// the low half and value in the high one. A handler's last act is the call of the next
/// instruction's handler; with a scalar result, every way out of a handler returns the same
/// kind of value as that call, and the compiler makes the call a jump (a two-field struct
/// merged from several calls is taken apart and put together again, which keeps the calls
/// calls, and the stack grows an instruction at a time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(transparent)]
pub(crate) struct Ended(u128);

impl Ended {
    /// The outcome.
    #[inline(always)]
    pub fn outcome(self) -> Outcome {
        Outcome {
            code: self.0 as u64,
            value: (self.0 >> 64) as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_survives_the_round_trip() {
        let faults = [
            Exception::illegal(0x1234),
            Exception::new(ExceptionCause::StorePageFault, 0x8000_0000),
            Exception::new(ExceptionCause::InstructionAddressMisaligned, 2),
        ];
        let back = faults.map(|e| {
            let o = Outcome::fault(e).after(&[0u8; 300]).outcome();
            (o.is_fault(), o.exception(), o.index(1000))
        });
        assert_eq!(back, faults.map(|e| (true, e, 699)));
    }

    #[test]
    fn other_outcomes_are_no_fault() {
        let outcomes = [Outcome::NEXT, Outcome::stored(0x8000_1000, 0)];
        assert_eq!(outcomes.map(Outcome::is_fault), [false, false]);
    }
}
