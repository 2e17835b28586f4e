//! Exceptions and interrupts: their causes, trap entry with delegation, and the choice of the
//! interrupt to take between instructions.

use ospite_mmu::{FaultCause, MemFault, Privilege};

use crate::csr::{mstatus, IRQ_MASK, MENVCFG_STCE, STIP_BIT};
use crate::hart::Hart;

/// A synchronous exception cause, with its `mcause`/`scause` code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ExceptionCause {
    /// Instruction address misaligned (0).
    InstructionAddressMisaligned = 0,
    /// Instruction access fault (1).
    InstructionAccessFault = 1,
    /// Illegal instruction (2).
    IllegalInstruction = 2,
    /// Breakpoint (3).
    Breakpoint = 3,
    /// Load address misaligned (4).
    LoadAddressMisaligned = 4,
    /// Load access fault (5).
    LoadAccessFault = 5,
    /// Store/AMO address misaligned (6).
    StoreAddressMisaligned = 6,
    /// Store/AMO access fault (7).
    StoreAccessFault = 7,
    /// Environment call from U-mode (8).
    EcallFromU = 8,
    /// Environment call from S-mode (9).
    EcallFromS = 9,
    /// Environment call from M-mode (11).
    EcallFromM = 11,
    /// Instruction page fault (12).
    InstructionPageFault = 12,
    /// Load page fault (13).
    LoadPageFault = 13,
    /// Store/AMO page fault (15).
    StorePageFault = 15,
}

impl ExceptionCause {
    /// The exception code written to `mcause`/`scause`.
    #[inline]
    pub const fn code(self) -> u64 {
        self as u64
    }
}

impl From<FaultCause> for ExceptionCause {
    fn from(c: FaultCause) -> Self {
        match c {
            FaultCause::InstructionAddressMisaligned => Self::InstructionAddressMisaligned,
            FaultCause::InstructionAccessFault => Self::InstructionAccessFault,
            FaultCause::LoadAddressMisaligned => Self::LoadAddressMisaligned,
            FaultCause::LoadAccessFault => Self::LoadAccessFault,
            FaultCause::StoreAddressMisaligned => Self::StoreAddressMisaligned,
            FaultCause::StoreAccessFault => Self::StoreAccessFault,
            FaultCause::InstructionPageFault => Self::InstructionPageFault,
            FaultCause::LoadPageFault => Self::LoadPageFault,
            FaultCause::StorePageFault => Self::StorePageFault,
        }
    }
}

/// A synchronous exception raised by an instruction: a guest-visible value, never a host error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Exception {
    /// The cause.
    pub cause: ExceptionCause,
    /// The value for `mtval`/`stval` (faulting address, instruction bits, or 0).
    pub tval: u64,
}

impl Exception {
    /// An exception of `cause` with `tval`.
    #[inline]
    pub const fn new(cause: ExceptionCause, tval: u64) -> Exception {
        Exception { cause, tval }
    }

    /// An illegal-instruction exception with the instruction bits in `tval`.
    #[inline]
    pub const fn illegal(bits: u64) -> Exception {
        Exception::new(ExceptionCause::IllegalInstruction, bits)
    }
}

impl From<MemFault> for Exception {
    #[inline]
    fn from(f: MemFault) -> Self {
        Exception::new(f.cause.into(), f.tval)
    }
}

/// An interrupt, with its bit in `mip`/`mie` and its `mcause` code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Interrupt {
    /// Supervisor software interrupt (SSIP, 1).
    SupervisorSoftware = 1,
    /// Machine software interrupt (MSIP, 3).
    MachineSoftware = 3,
    /// Supervisor timer interrupt (STIP, 5).
    SupervisorTimer = 5,
    /// Machine timer interrupt (MTIP, 7).
    MachineTimer = 7,
    /// Supervisor external interrupt (SEIP, 9).
    SupervisorExternal = 9,
    /// Machine external interrupt (MEIP, 11).
    MachineExternal = 11,
}

impl Interrupt {
    /// The priority order of the privileged spec, highest first: MEI, MSI, MTI, SEI, SSI, STI.
    pub const PRIORITY: [Interrupt; 6] = [
        Interrupt::MachineExternal,
        Interrupt::MachineSoftware,
        Interrupt::MachineTimer,
        Interrupt::SupervisorExternal,
        Interrupt::SupervisorSoftware,
        Interrupt::SupervisorTimer,
    ];

    /// The exception code of the interrupt (without the interrupt bit).
    #[inline]
    pub const fn code(self) -> u64 {
        self as u64
    }

    /// The interrupt's bit in `mip` and `mie`.
    #[inline]
    pub const fn bit(self) -> u64 {
        1 << self as u64
    }
}

/// The interrupt bit of `mcause`/`scause`.
pub const CAUSE_INTERRUPT: u64 = 1 << 63;

/// How many traps a hart has entered since it was built, counted at trap entry (whether taken
/// in M-mode or delegated to S-mode). An `ebreak` that stops the engine as a debug breakpoint
/// enters no trap and is not counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TrapCounts {
    /// Synchronous exceptions taken (ecalls, faults, illegal instructions, breakpoints).
    pub exceptions: u64,
    /// Interrupts taken.
    pub interrupts: u64,
}

impl Hart {
    /// Enters the trap handler for exception `e` raised by the instruction at `pc`: delegated to
    /// S-mode when the hart runs below M and `medeleg` says so, otherwise taken in M-mode.
    pub fn raise(&mut self, e: Exception) {
        self.enter_trap(e.cause.code(), false, e.tval);
    }

    /// Enters the trap handler for interrupt `irq` (the pc is the next instruction to run).
    pub fn interrupt(&mut self, irq: Interrupt) {
        self.enter_trap(irq.code(), true, 0);
    }

    /// The traps this hart has entered so far: exceptions and interrupts taken.
    pub fn trap_counts(&self) -> TrapCounts {
        self.traps
    }

    fn enter_trap(&mut self, code: u64, is_interrupt: bool, tval: u64) {
        if is_interrupt {
            self.traps.interrupts += 1;
        } else {
            self.traps.exceptions += 1;
        }
        let deleg = if is_interrupt {
            self.csr.mideleg
        } else {
            self.csr.medeleg
        };
        let cause = code | if is_interrupt { CAUSE_INTERRUPT } else { 0 };
        // A trap may break the LR/SC reservation; breaking it always is simple and allowed.
        self.reservation = None;
        let from = self.privilege;
        let ms = self.csr.mstatus;
        if from != Privilege::Machine && (deleg >> code) & 1 != 0 {
            self.csr.scause = cause;
            self.csr.sepc = self.pc;
            self.csr.stval = tval;
            let mut s = ms & !(mstatus::SPP | mstatus::SPIE | mstatus::SIE);
            if ms & mstatus::SIE != 0 {
                s |= mstatus::SPIE;
            }
            if from == Privilege::Supervisor {
                s |= mstatus::SPP;
            }
            self.csr.mstatus = s;
            self.privilege = Privilege::Supervisor;
            self.pc = vector(self.csr.stvec, code, is_interrupt);
        } else {
            self.csr.mcause = cause;
            self.csr.mepc = self.pc;
            self.csr.mtval = tval;
            let mut s = ms & !(mstatus::MPP | mstatus::MPIE | mstatus::MIE);
            if ms & mstatus::MIE != 0 {
                s |= mstatus::MPIE;
            }
            s |= from.bits() << mstatus::MPP_SHIFT;
            self.csr.mstatus = s;
            self.privilege = Privilege::Machine;
            self.pc = vector(self.csr.mtvec, code, is_interrupt);
        }
    }

    /// The interrupts pending and enabled in `mie` (whether or not globally enabled): what wakes
    /// a hart from `wfi`.
    #[inline]
    pub fn wakeup_pending(&self) -> u64 {
        let mie = self.csr.mie;
        let pending = (self.csr.mip | self.config.irq.get()) & mie & IRQ_MASK;
        // Sstc: the time source is asked only when its interrupt is enabled, since this runs
        // before every instruction.
        if self.csr.menvcfg & MENVCFG_STCE == 0 {
            pending
        } else if mie & STIP_BIT == 0 {
            pending & !STIP_BIT
        } else {
            (pending & !STIP_BIT) | self.stimecmp_due()
        }
    }

    /// The interrupt the hart must take now, if any: pending, enabled in `mie`, and enabled for
    /// its target mode by the current privilege and `mstatus.MIE`/`SIE`, chosen in the spec's
    /// priority order (M-level before S-level, then MEI, MSI, MTI, SEI, SSI, STI).
    pub fn pending_interrupt(&self) -> Option<Interrupt> {
        let pending = self.wakeup_pending();
        if pending == 0 {
            return None;
        }
        let ms = self.csr.mstatus;
        let m_on = self.privilege != Privilege::Machine || ms & mstatus::MIE != 0;
        let s_on = match self.privilege {
            Privilege::User => true,
            Privilege::Supervisor => ms & mstatus::SIE != 0,
            Privilege::Machine => false,
        };
        let m_set = if m_on { pending & !self.csr.mideleg } else { 0 };
        let s_set = if s_on { pending & self.csr.mideleg } else { 0 };
        let set = if m_set != 0 { m_set } else { s_set };
        Interrupt::PRIORITY.into_iter().find(|i| set & i.bit() != 0)
    }

    /// Takes the pending interrupt, if there is one; returns whether it did.
    #[inline]
    pub fn check_interrupts(&mut self) -> bool {
        match self.pending_interrupt() {
            Some(irq) => {
                self.interrupt(irq);
                true
            }
            None => false,
        }
    }
}

/// The handler address for a trap: `tvec`'s base, plus `4 * code` for interrupts in vectored
/// mode.
#[inline]
fn vector(tvec: u64, code: u64, is_interrupt: bool) -> u64 {
    let base = tvec & !3;
    if is_interrupt && tvec & 3 == 1 {
        base.wrapping_add(4 * code)
    } else {
        base
    }
}
