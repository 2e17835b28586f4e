//! What both engines need to know about an instruction beyond its operands: registers read and
//! written, its memory access, whether it ends a block, whether it can trap.

use crate::format::{Operands, RegFile};
use crate::inst::Inst;
use crate::op::Class;
use crate::reg::Reg;

/// A set of integer and floating-point registers, one bit per register. `x0` never appears:
/// reading it is a constant and writing it is discarded.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct RegSet {
    /// Integer registers, bit `n` for `xn`.
    pub x: u32,
    /// Floating-point registers, bit `n` for `fn`.
    pub f: u32,
}

impl RegSet {
    fn add(&mut self, file: RegFile, r: Reg) {
        match file {
            RegFile::X if r.num() != 0 => self.x |= 1 << r.num(),
            RegFile::F => self.f |= 1 << r.num(),
            _ => {}
        }
    }

    /// Whether the set is empty.
    pub const fn is_empty(&self) -> bool {
        self.x == 0 && self.f == 0
    }
}

/// The kind of a memory access.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum MemKind {
    /// A load into an integer register.
    Load,
    /// A store from an integer register.
    Store,
    /// A load into a floating-point register.
    FpLoad,
    /// A store from a floating-point register.
    FpStore,
    /// `lr`: a load that takes a reservation.
    LoadReserved,
    /// `sc`: a store that needs the reservation.
    StoreConditional,
    /// An atomic read-modify-write.
    Amo,
}

/// The memory access an instruction makes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct MemAccess {
    /// Load, store or atomic.
    pub kind: MemKind,
    /// Bytes moved: 1, 2, 4 or 8.
    pub width: u8,
    /// Whether a loaded value is sign-extended (AMO and `lr.w` results are).
    pub signed: bool,
}

impl MemAccess {
    /// Whether the access reads memory.
    pub const fn reads(&self) -> bool {
        !matches!(self.kind, MemKind::Store | MemKind::FpStore)
    }

    /// Whether the access may write memory.
    pub const fn writes(&self) -> bool {
        !matches!(
            self.kind,
            MemKind::Load | MemKind::FpLoad | MemKind::LoadReserved
        )
    }
}

impl Inst {
    fn operands(&self) -> Operands {
        self.op.info().fmt.operands()
    }

    /// The registers the instruction reads.
    pub fn reads(&self) -> RegSet {
        let o = self.operands();
        let mut s = RegSet::default();
        s.add(o.rs1, self.rs1);
        s.add(o.rs2, self.rs2);
        s.add(o.rs3, self.rs3);
        s
    }

    /// The registers the instruction writes.
    pub fn writes(&self) -> RegSet {
        let mut s = RegSet::default();
        s.add(self.operands().rd, self.rd);
        s
    }

    /// The memory access the instruction makes, if any.
    pub fn mem_access(&self) -> Option<MemAccess> {
        let (kind, width, signed) = match self.op.class() {
            Class::Load(w, signed) => (MemKind::Load, w, signed),
            Class::Store(w) => (MemKind::Store, w, false),
            Class::FpLoad(w) => (MemKind::FpLoad, w, false),
            Class::FpStore(w) => (MemKind::FpStore, w, false),
            Class::LoadReserved(w) => (MemKind::LoadReserved, w, true),
            Class::StoreConditional(w) => (MemKind::StoreConditional, w, false),
            Class::Amo(w) => (MemKind::Amo, w, true),
            _ => return None,
        };
        Some(MemAccess {
            kind,
            width,
            signed,
        })
    }

    /// Whether the instruction ends a translation block: it transfers control (branch, jump),
    /// is a system instruction (trap, return, `wfi`, `sfence.vma`, CSR access, which may change
    /// privilege or translation), or is `fence.i`.
    pub fn ends_block(&self) -> bool {
        matches!(
            self.op.class(),
            Class::Branch
                | Class::Jal
                | Class::Jalr
                | Class::FenceI
                | Class::Trap
                | Class::Return
                | Class::Wfi
                | Class::SfenceVma
                | Class::Csr
        )
    }

    /// Whether executing the instruction can raise an exception: memory accesses (faults,
    /// misalignment), control transfers (a misaligned target), system instructions, CSR access
    /// and floating point (illegal when `mstatus.FS` is off or the rounding mode is invalid).
    /// Integer arithmetic, `lui`, `auipc` and `fence` cannot.
    pub fn can_trap(&self) -> bool {
        !matches!(self.op.class(), Class::Alu | Class::Upper | Class::Fence)
    }
}
