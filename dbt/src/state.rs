//! What translated code reads and writes besides the [`Hart`]: the budget, the TLB tables of
//! the current regime, and what the last exit left for the runtime. `#[repr(C)]`, offsets
//! pinned: translated code addresses the fields as `[state + OFFSET]`.

use std::any::Any;

use ospite_interp::{Exception, Hart};

use crate::code_map::CodeMap;

/// How translated code returned to the runtime (the value in `rax`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u64)]
pub(crate) enum ExitCode {
    /// The pc is set; look the next block up.
    Jump = 0,
    /// The pc is set to a direct target in the same page; `exit_site` is the displacement of
    /// the jump to patch.
    Chain = 1,
    /// The budget cannot cover the block; the pc is the block's start.
    Budget = 2,
    /// An instruction raised the exception in `exception`; the pc is its address.
    Fault = 3,
    /// The pc is an instruction the interpreter must run.
    Interpret = 4,
    /// The pc is set; a slow path did something the runtime must look at (a store to code, a
    /// device that may have raised an interrupt).
    Sync = 5,
}

impl ExitCode {
    pub(crate) fn from_raw(raw: u64) -> ExitCode {
        match raw {
            0 => ExitCode::Jump,
            1 => ExitCode::Chain,
            2 => ExitCode::Budget,
            3 => ExitCode::Fault,
            4 => ExitCode::Interpret,
            _ => ExitCode::Sync,
        }
    }
}

/// The state block translated code runs with (its address is in the trampoline's frame).
#[repr(C)]
#[derive(Debug)]
pub(crate) struct JitState {
    /// Instructions left; a block subtracts its length at entry and leaves if it goes negative.
    pub budget: i64,
    /// The fast TLB load table of the current regime.
    pub load_table: u64,
    /// The fast TLB store table of the current regime.
    pub store_table: u64,
    /// For [`ExitCode::Chain`]: the address of the jump's 32-bit displacement.
    pub exit_site: u64,
    /// For a helper's early exit: the budget of the block's instructions not reached.
    pub give_back: u64,
    /// The jump cache's slots ([`JumpSlot`](crate::runtime) array), for lookups from
    /// translated code.
    pub jump_cache: u64,
    /// The `satp` translated code runs under (it cannot change inside translated code).
    pub satp: u64,
    /// The privilege translated code runs at, as a number.
    pub privilege: u64,
    /// The hart (also in `rbx`), for helpers.
    pub hart: *mut Hart,
    /// The bus, type-erased (`*const B`), for helpers.
    pub bus: *const (),
    /// For [`ExitCode::Fault`]: the exception a helper raised.
    pub exception: Option<Exception>,
    /// A panic caught in a helper, to resume once translated code has returned.
    pub panic: Option<Box<dyn Any + Send>>,
    /// The runtime's record of translated bytes, for helpers to tell a store to code from a
    /// store to data sharing its page.
    pub code_map: *const CodeMap,
}

// SAFETY: the raw pointers are set only for the duration of one call into translated code,
// on the thread that owns the engine, and cleared after; otherwise the state is plain data.
unsafe impl Send for JitState {}

impl JitState {
    pub(crate) const OFFSET_BUDGET: usize = 0;
    pub(crate) const OFFSET_LOAD_TABLE: usize = 8;
    pub(crate) const OFFSET_STORE_TABLE: usize = 16;
    pub(crate) const OFFSET_EXIT_SITE: usize = 24;
    pub(crate) const OFFSET_GIVE_BACK: usize = 32;
    pub(crate) const OFFSET_JUMP_CACHE: usize = 40;
    pub(crate) const OFFSET_SATP: usize = 48;
    pub(crate) const OFFSET_PRIVILEGE: usize = 56;

    pub(crate) fn new() -> JitState {
        JitState {
            budget: 0,
            load_table: 0,
            store_table: 0,
            exit_site: 0,
            give_back: 0,
            jump_cache: 0,
            satp: 0,
            privilege: 0,
            hart: std::ptr::null_mut(),
            bus: std::ptr::null(),
            exception: None,
            panic: None,
            code_map: std::ptr::null(),
        }
    }
}

const _: () = assert!(core::mem::offset_of!(JitState, budget) == JitState::OFFSET_BUDGET);
const _: () = assert!(core::mem::offset_of!(JitState, load_table) == JitState::OFFSET_LOAD_TABLE);
const _: () = assert!(core::mem::offset_of!(JitState, store_table) == JitState::OFFSET_STORE_TABLE);
const _: () = assert!(core::mem::offset_of!(JitState, exit_site) == JitState::OFFSET_EXIT_SITE);
const _: () = assert!(core::mem::offset_of!(JitState, give_back) == JitState::OFFSET_GIVE_BACK);
const _: () = assert!(core::mem::offset_of!(JitState, jump_cache) == JitState::OFFSET_JUMP_CACHE);
const _: () = assert!(core::mem::offset_of!(JitState, satp) == JitState::OFFSET_SATP);
const _: () = assert!(core::mem::offset_of!(JitState, privilege) == JitState::OFFSET_PRIVILEGE);
