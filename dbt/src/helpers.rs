//! The functions translated code calls: the interpreter's semantics for one instruction, on a
//! TLB miss or for an instruction without native code.

use std::panic::{catch_unwind, AssertUnwindSafe};

use ospite_interp::execute_unretired;
use ospite_isa::{Class, Inst};
use ospite_mmu::Bus;

use crate::state::{ExitCode, JitState};

/// Runs `inst`, the instruction at `pc`, on the state's hart and bus. Returns 0 when the block
/// goes on, else the exit to leave with, the pc set and `unused` (the budget of the block's
/// instructions after this one) in the state's `give_back`: [`ExitCode::Fault`] (the
/// exception is in the state; the pc is `pc`) or [`ExitCode::Sync`] (it completed, and wrote
/// translated bytes or made an interrupt pending; the pc is the next instruction's).
pub(crate) extern "sysv64" fn exec<B: Bus>(
    state: *mut JitState,
    inst: *const Inst,
    pc: u64,
    unused: u64,
) -> u64 {
    // SAFETY: translated code passes the state the runtime handed it (kept in its frame),
    // valid and not otherwise borrowed while the code runs; its hart and bus pointers were set
    // by the runtime from live references for this run, and `inst` points into the block's
    // instruction array, which lives as long as the block's code.
    let (st, inst) = unsafe { (&mut *state, &*inst) };
    // SAFETY: as above: the runtime set these from a `&mut Hart`, a `&B` and a `&CodeMap`
    // that it does not use while translated code runs.
    let (hart, bus, code_map) = unsafe { (&mut *st.hart, &*(st.bus as *const B), &*st.code_map) };
    // The flags translated FP code raised so far: an FP `inst` may read them (and its Rust code
    // may raise others in MXCSR, which the reset below drops). Other instructions leave MXCSR
    // alone, and its flags wait for the next FP helper or the end of the run (reading MXCSR
    // cost 1% of a Debian system's boot, whose helpers are mostly atomics).
    let fp = matches!(
        inst.op.class(),
        Class::Fp | Class::FpLoad(_) | Class::FpStore(_)
    );
    if fp {
        hart.accrue_fflags(crate::mxcsr::take_fflags());
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        hart.set_pc(pc);
        let noted = hart.mmu().code_writes().len();
        match execute_unretired(hart, bus, inst) {
            Ok(_) => {
                let stores = matches!(
                    inst.op.class(),
                    Class::Store(_)
                        | Class::FpStore(_)
                        | Class::StoreConditional(_)
                        | Class::Amo(_)
                );
                // Stores to data sharing a page with code stay noted for the runtime (the
                // interpreter's decoded copy), but translated code goes on.
                let code_written = hart.mmu().code_writes()[noted..]
                    .iter()
                    .any(|&pa| code_map.store_hits(pa));
                let sync = code_written || (stores && hart.pending_interrupt().is_some());
                if sync {
                    hart.set_pc(pc.wrapping_add(inst.size()));
                    (ExitCode::Sync as u64, None)
                } else {
                    (0, None)
                }
            }
            Err(e) => {
                hart.set_pc(pc);
                (ExitCode::Fault as u64, Some(e))
            }
        }
    }));
    if fp {
        crate::mxcsr::reset();
    }
    match outcome {
        Ok((status, exception)) => {
            st.exception = exception;
            st.give_back = unused;
            status
        }
        Err(payload) => {
            // Unwinding through translated code is impossible: leave, and resume the panic
            // in the runtime.
            st.panic = Some(payload);
            st.give_back = unused;
            ExitCode::Fault as u64
        }
    }
}
