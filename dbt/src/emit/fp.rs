//! Floating point in host code: SSE2 (and FMA3 for the fused multiply-adds) for the hot F/D
//! instructions, with the interpreter's semantics (Berkeley SoftFloat, bit-exact) as the
//! fallback whenever the host's answer might differ, as QEMU's "hardfloat" does.
//!
//! An arithmetic instruction has two paths:
//! - fast, inline: when the rounding mode is round-to-nearest-even (static `rne`, or dynamic
//!   with `frm` = 0), the host operation's result stands unless it is a NaN. Its exception
//!   flags gather in MXCSR and reach `fflags` when control leaves translated code
//!   (`crate::mxcsr`): x86 raises them as RISC-V does for every result but NaNs.
//! - the helper, out of line, for everything else: other rounding modes (rare in compiled
//!   code), improperly NaN-boxed singles (the canonical NaN), NaN results (RISC-V's canonical
//!   NaN and its NV rules, fused multiply-adds' among them), FS Off.
//!
//! The others: the sign injections and moves are integer code (the helper only for
//! improperly boxed singles); `feq`/`flt`/`fle` are an unordered compare, with the helper for
//! NaN operands; `fcvt` from integers is host code when the precision holds the integer
//! exactly (no flag, any rounding mode), `fcvt` to integers when it truncates or rounds to
//! nearest even and the result fits (its NX from x86's PE, as for arithmetic); loads and
//! stores take the inline TLB test, with the helper on a miss.
//!
//! Within a block, the f registers that loads and double-precision arithmetic produce stay in
//! xmm2-xmm15 as well as in the hart ([`XmmCache`]), so dependent instructions read registers
//! instead of waiting for store-to-load forwarding.
//!
//! Translated code relies on MXCSR's controls (round to nearest, exceptions masked, no
//! flush-to-zero or denormals-are-zero), which the runtime sets before it enters translated
//! code and the helper after each call.
//!
//! `mstatus.FS`: the first FP instruction of a block tests that FS is not Off (the helper
//! raises the illegal instruction otherwise); later ones in the block need not, as only a CSR
//! write, which ends blocks, can turn it off. The first one that writes an f register sets FS
//! Dirty, as the interpreter does (its SD bit is computed when `mstatus` is read).

use iced_x86::code_asm::*;
use iced_x86::IcedError;
use ospite_interp::csr::mstatus;
use ospite_interp::Hart;
use ospite_isa::{Class, Inst, Op, RegFile, Rm};

use super::{Asm, Emitter, HostFeatures};
use crate::ir::NodeKind;

/// `frm` in the low byte of `fcsr`.
const FRM_MASK: u32 = 0xe0;

/// The upper half of a NaN-boxed single.
const BOXED: i32 = -1;

/// An arithmetic operation in host code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Sqrt,
    /// `rs1 * rs2 + rs3`.
    Madd,
    /// `rs1 * rs2 - rs3`.
    Msub,
    /// `-(rs1 * rs2) + rs3`.
    Nmsub,
    /// `-(rs1 * rs2) - rs3`.
    Nmadd,
    /// `fcvt.s.d` (the result single).
    Narrow,
    /// `fcvt.d.s` (the result double).
    Widen,
}

impl Arith {
    fn is_fused(self) -> bool {
        matches!(
            self,
            Arith::Madd | Arith::Msub | Arith::Nmsub | Arith::Nmadd
        )
    }

    /// Whether an instruction of this operation, in the precision `double` says, reads
    /// singles: `fcvt.d.s` does, `fcvt.s.d` does not, the others as their precision.
    fn single_inputs(self, double: bool) -> bool {
        match self {
            Arith::Narrow => false,
            Arith::Widen => true,
            _ => !double,
        }
    }

    /// The f registers `inst`, of this operation, reads.
    fn sources(self, inst: &Inst) -> Vec<u8> {
        let (rs1, rs2, rs3) = (inst.rs1.num(), inst.rs2.num(), inst.rs3.num());
        match self {
            Arith::Sqrt | Arith::Narrow | Arith::Widen => vec![rs1],
            a if a.is_fused() => vec![rs1, rs2, rs3],
            _ => vec![rs1, rs2],
        }
    }
}

/// A sign injection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sign {
    /// `fsgnj`: the sign of `rs2`.
    Copy,
    /// `fsgnjn`: the opposite sign of `rs2`.
    Negate,
    /// `fsgnjx`: the sign of `rs1` xor that of `rs2`.
    Xor,
}

/// A comparison, into an x register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Compare {
    Eq,
    Lt,
    Le,
}

/// The integer side of a conversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IntType {
    /// `w`: signed 32 bits.
    W,
    /// `wu`: unsigned 32 bits.
    Wu,
    /// `l`: signed 64 bits.
    L,
    /// `lu`: unsigned 64 bits.
    Lu,
}

/// What an FP instruction with host code does, and whether it is double precision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FloatOp {
    Arith(Arith),
    Sign(Sign),
    /// `feq`, `flt`, `fle`.
    Compare(Compare),
    /// `fcvt.{s,d}.{w,wu,l,lu}`.
    FromInt(IntType),
    /// `fcvt.{w,wu,l,lu}.{s,d}`.
    ToInt(IntType),
    /// `fmv.x.*`.
    MoveToX,
    /// `fmv.*.x`.
    MoveFromX,
    /// `flw`/`fld`.
    Load,
    /// `fsw`/`fsd`.
    Store,
}

fn float_op(op: Op) -> Option<(FloatOp, bool)> {
    use self::Arith::{Add, Div, Madd, Msub, Mul, Nmadd, Nmsub, Sqrt, Sub};
    use FloatOp::{Arith, Load, MoveFromX, MoveToX, Sign, Store};
    Some(match op {
        Op::FaddS => (Arith(Add), false),
        Op::FsubS => (Arith(Sub), false),
        Op::FmulS => (Arith(Mul), false),
        Op::FdivS => (Arith(Div), false),
        Op::FsqrtS => (Arith(Sqrt), false),
        Op::FmaddS => (Arith(Madd), false),
        Op::FmsubS => (Arith(Msub), false),
        Op::FnmsubS => (Arith(Nmsub), false),
        Op::FnmaddS => (Arith(Nmadd), false),
        Op::FaddD => (Arith(Add), true),
        Op::FsubD => (Arith(Sub), true),
        Op::FmulD => (Arith(Mul), true),
        Op::FdivD => (Arith(Div), true),
        Op::FsqrtD => (Arith(Sqrt), true),
        Op::FmaddD => (Arith(Madd), true),
        Op::FmsubD => (Arith(Msub), true),
        Op::FnmsubD => (Arith(Nmsub), true),
        Op::FnmaddD => (Arith(Nmadd), true),
        Op::FsgnjS => (Sign(self::Sign::Copy), false),
        Op::FsgnjnS => (Sign(self::Sign::Negate), false),
        Op::FsgnjxS => (Sign(self::Sign::Xor), false),
        Op::FsgnjD => (Sign(self::Sign::Copy), true),
        Op::FsgnjnD => (Sign(self::Sign::Negate), true),
        Op::FsgnjxD => (Sign(self::Sign::Xor), true),
        Op::FmvXW => (MoveToX, false),
        Op::FmvXD => (MoveToX, true),
        Op::FmvWX => (MoveFromX, false),
        Op::FmvDX => (MoveFromX, true),
        Op::FcvtSD => (Arith(self::Arith::Narrow), false),
        Op::FcvtDS => (Arith(self::Arith::Widen), true),
        Op::FeqS => (FloatOp::Compare(Compare::Eq), false),
        Op::FltS => (FloatOp::Compare(Compare::Lt), false),
        Op::FleS => (FloatOp::Compare(Compare::Le), false),
        Op::FeqD => (FloatOp::Compare(Compare::Eq), true),
        Op::FltD => (FloatOp::Compare(Compare::Lt), true),
        Op::FleD => (FloatOp::Compare(Compare::Le), true),
        Op::FcvtSW => (FloatOp::FromInt(IntType::W), false),
        Op::FcvtSWu => (FloatOp::FromInt(IntType::Wu), false),
        Op::FcvtSL => (FloatOp::FromInt(IntType::L), false),
        Op::FcvtSLu => (FloatOp::FromInt(IntType::Lu), false),
        Op::FcvtDW => (FloatOp::FromInt(IntType::W), true),
        Op::FcvtDWu => (FloatOp::FromInt(IntType::Wu), true),
        Op::FcvtDL => (FloatOp::FromInt(IntType::L), true),
        Op::FcvtDLu => (FloatOp::FromInt(IntType::Lu), true),
        Op::FcvtWS => (FloatOp::ToInt(IntType::W), false),
        Op::FcvtWuS => (FloatOp::ToInt(IntType::Wu), false),
        Op::FcvtLS => (FloatOp::ToInt(IntType::L), false),
        Op::FcvtLuS => (FloatOp::ToInt(IntType::Lu), false),
        Op::FcvtWD => (FloatOp::ToInt(IntType::W), true),
        Op::FcvtWuD => (FloatOp::ToInt(IntType::Wu), true),
        Op::FcvtLD => (FloatOp::ToInt(IntType::L), true),
        Op::FcvtLuD => (FloatOp::ToInt(IntType::Lu), true),
        Op::Flw => (Load, false),
        Op::Fld => (Load, true),
        Op::Fsw => (Store, false),
        Op::Fsd => (Store, true),
        _ => return None,
    })
}

/// Whether `inst` gets host code (else the frontend sends it to the helper): the operations
/// above, the arithmetic ones only when they round to nearest even (statically or through
/// `frm`), and the fused multiply-adds only on hosts with FMA3.
pub(crate) fn is_native(inst: &Inst, features: HostFeatures) -> bool {
    match float_op(inst.op) {
        Some((FloatOp::Arith(a), _)) => {
            matches!(inst.rm, Rm::Rne | Rm::Dyn) && (features.fma || !a.is_fused())
        }
        // Exact conversions only: any valid mode gives the same result.
        Some((FloatOp::FromInt(_), _)) => !matches!(inst.rm, Rm::Reserved5 | Rm::Reserved6),
        // Truncation (C's casts) and round to nearest even.
        Some((FloatOp::ToInt(_), _)) => matches!(inst.rm, Rm::Rtz | Rm::Rne | Rm::Dyn),
        Some(_) => true,
        None => false,
    }
}

/// Whether `inst` is an F/D instruction (each checks `mstatus.FS`).
fn is_fp(inst: &Inst) -> bool {
    matches!(
        inst.op.class(),
        Class::Fp | Class::FpLoad(_) | Class::FpStore(_)
    )
}

/// Whether `inst` writes an f register (which sets FS Dirty).
fn writes_f(inst: &Inst) -> bool {
    match inst.op.class() {
        Class::FpLoad(_) => true,
        Class::Fp => inst.op.info().fmt.operands().rd == RegFile::F,
        _ => false,
    }
}

/// f register `r` (64 bits).
fn f(r: u8) -> AsmMemoryOperand {
    qword_ptr(f_addr(r))
}

/// The low 32 bits of f register `r` (a single).
fn fs(r: u8) -> AsmMemoryOperand {
    dword_ptr(f_addr(r))
}

/// The upper 32 bits of f register `r` (all ones when a single is NaN-boxed).
fn f_upper(r: u8) -> AsmMemoryOperand {
    dword_ptr(f_addr(r) + 4)
}

fn f_addr(r: u8) -> AsmMemoryOperand {
    rbx + (Hart::OFFSET_F as i32 + 8 * i32::from(r))
}

fn mstatus_slot() -> AsmMemoryOperand {
    qword_ptr(rbx + Hart::OFFSET_MSTATUS as i32)
}

/// Where a conversion to an integer keeps MXCSR while it may still discard its x86 result
/// (`stmxcsr`/`ldmxcsr` take only memory operands): the red zone below the stack pointer
/// (translated code makes no call while it is used, and signal frames skip it).
fn mxcsr_scratch() -> AsmMemoryOperand {
    dword_ptr(rsp - 8)
}

/// The out-of-line path of node `k`: the helper, entered at `label`, continuing at `resume`.
pub(crate) struct SlowPath {
    k: usize,
    label: CodeLabel,
    resume: CodeLabel,
    /// For a conversion to an integer: the entry that puts MXCSR back as it was before the
    /// conversion (dropping the flags of an x86 result it discards), then goes to `label`.
    discard: Option<CodeLabel>,
    /// What the cache holds after the instruction: the helper's path reloads it.
    held: Vec<(AsmRegisterXmm, u8)>,
    /// The dirty slots before the instruction: the path stores them first.
    dirty: Dirty,
    /// Whether the instruction checked `frm` inline, which later ones then rely on: the path
    /// checks again before it rejoins.
    recheck: bool,
}

/// How many f registers a block keeps in xmm registers (xmm2-xmm15; xmm0 and xmm1 are
/// scratch).
const CACHE_SLOTS: usize = 14;

const XMMS: [AsmRegisterXmm; 16] = [
    xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14,
    xmm15,
];

/// The f registers that xmm registers hold at a point of a block, as the emitter goes, so
/// that FP operations read their operands from registers rather than through store-to-load
/// forwarding from the hart. Write-back for the results of double arithmetic and of `fld`: the
/// hart gets them (the *dirty* slots) only when something else may read it: before an integer
/// memory access, a helper node or an FP instruction that reads the hart, when the slot is
/// reused, on the ways out of the block (the terminal, side exits) and at the start of every
/// out-of-line path of an FP instruction, which calls the helper. Other results are written
/// through. A helper call clobbers every xmm register: the paths of an FP instruction that
/// call one reload the cache before rejoining, and a node that may call one on a path of its
/// own (integer memory access, helper node) empties it.
///
/// The result of a double add, subtract, multiply, divide or square root is not tested for a
/// NaN where it is computed: x86 raises exactly RISC-V's flags for these (invalid for the same
/// operations and for signalling NaN operands, nothing else with a NaN), and only the NaN it
/// gives differs from RISC-V's canonical one. Such a slot may hold a *raw* NaN, which other
/// arithmetic may take as it is (a NaN operand gives a NaN, quiet, with no flag either way);
/// it is made the canonical NaN before its bits are seen: when it is stored in the hart or
/// in memory.
#[derive(Debug, Default)]
pub(crate) struct XmmCache {
    /// Per slot (xmm2 + slot).
    slots: [Option<Slot>; CACHE_SLOTS],
    clock: u32,
    /// The last node [`Emitter::float`] saw.
    last: Option<usize>,
}

/// What a slot of the [`XmmCache`] holds.
#[derive(Clone, Copy, Debug)]
struct Slot {
    /// The f register.
    reg: u8,
    /// When it was last used (for eviction).
    used: u32,
    /// Whether the hart lacks its value.
    dirty: bool,
    /// Whether it may be a NaN other than the canonical one, from x86 arithmetic.
    raw: bool,
}

/// A dirty slot: the xmm register, the f register whose value it holds and whether that may
/// be a raw NaN (see [`XmmCache`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pending {
    x: AsmRegisterXmm,
    reg: u8,
    raw: bool,
}

/// Dirty slots of the [`XmmCache`].
pub(crate) type Dirty = Vec<Pending>;

/// RISC-V's canonical NaN, double.
const CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;

impl XmmCache {
    /// The xmm register holding f register `r`, if any.
    fn lookup(&mut self, r: u8) -> Option<AsmRegisterXmm> {
        self.clock += 1;
        let clock = self.clock;
        self.slots
            .iter_mut()
            .enumerate()
            .find_map(|(i, s)| match s {
                Some(slot) if slot.reg == r => {
                    slot.used = clock;
                    Some(XMMS[i + 2])
                }
                _ => None,
            })
    }

    /// The slot [`Self::assign`] would give f register `r`.
    fn slot_for(&self, r: u8) -> usize {
        (0..CACHE_SLOTS)
            .find(|&i| self.slots[i].is_some_and(|s| s.reg == r))
            .unwrap_or_else(|| {
                (0..CACHE_SLOTS)
                    .min_by_key(|&i| self.slots[i].map_or(0, |s| s.used))
                    .expect("slots")
            })
    }

    /// The dirty register [`Self::assign`] would evict to give a slot to `r`, if any.
    fn dirty_victim(&self, r: u8) -> Option<Pending> {
        let i = self.slot_for(r);
        match self.slots[i] {
            Some(s) if s.dirty && s.reg != r => Some(Pending {
                x: XMMS[i + 2],
                reg: s.reg,
                raw: s.raw,
            }),
            _ => None,
        }
    }

    /// Whether f register `r` is held and dirty.
    fn is_dirty(&self, r: u8) -> bool {
        self.slots.iter().flatten().any(|s| s.reg == r && s.dirty)
    }

    /// Whether f register `r` is held and may be a raw NaN.
    fn is_raw(&self, r: u8) -> bool {
        self.slots.iter().flatten().any(|s| s.reg == r && s.raw)
    }

    /// Marks f register `r`, which must be held, dirty; `raw` if it may be a raw NaN.
    fn mark_dirty(&mut self, r: u8, raw: bool) {
        self.update(r, |s| {
            s.dirty = true;
            s.raw = raw;
        });
    }

    /// Marks f register `r` clean (the hart has its value, not raw).
    fn mark_clean(&mut self, r: u8) {
        self.update(r, |s| {
            s.dirty = false;
            s.raw = false;
        });
    }

    /// Marks f register `r` as not a raw NaN (its slot was made canonical).
    fn mark_canonical(&mut self, r: u8) {
        self.update(r, |s| s.raw = false);
    }

    fn update(&mut self, r: u8, f: impl Fn(&mut Slot)) {
        for s in self.slots.iter_mut().flatten() {
            if s.reg == r {
                f(s);
            }
        }
    }

    /// The dirty slots.
    pub(super) fn dirty(&self) -> Dirty {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Some(s) if s.dirty => Some(Pending {
                    x: XMMS[i + 2],
                    reg: s.reg,
                    raw: s.raw,
                }),
                _ => None,
            })
            .collect()
    }

    /// The xmm register to hold f register `r` from now on: its own, a free one or the least
    /// recently used.
    fn assign(&mut self, r: u8) -> AsmRegisterXmm {
        if let Some(x) = self.lookup(r) {
            return x;
        }
        let slot = self.slot_for(r);
        self.slots[slot] = Some(Slot {
            reg: r,
            used: self.clock,
            dirty: false,
            raw: false,
        });
        XMMS[slot + 2]
    }

    /// Forgets f register `r` (written where the cache does not follow).
    fn forget(&mut self, r: u8) {
        for s in &mut self.slots {
            if s.is_some_and(|s| s.reg == r) {
                *s = None;
            }
        }
    }

    fn held(&self) -> Vec<(AsmRegisterXmm, u8)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|s| (XMMS[i + 2], s.reg)))
            .collect()
    }
}

/// An operand: an xmm register of the cache, or the f register in the hart (sized for the
/// precision).
#[derive(Clone, Copy)]
enum Src {
    X(AsmRegisterXmm),
    M(AsmMemoryOperand),
}

/// `a.$m(dst, src)` for either kind of [`Src`].
macro_rules! op_src {
    ($a:expr, $m:ident, $dst:expr, $src:expr) => {
        match $src {
            Src::X(x) => $a.$m($dst, x),
            Src::M(m) => $a.$m($dst, m),
        }
    };
}

impl Emitter<'_> {
    /// An FP instruction with host code (a [`NodeKind::Float`] node), node `k`.
    pub(super) fn float(&mut self, k: usize) -> Result<(), IcedError> {
        let inst = self.block.nodes[k].inst;
        let (op, double) = float_op(inst.op).expect("the frontend picks only these");
        let slow = self.a.create_label();
        let resume = self.a.create_label();
        // A node since the last FP one may have called a helper on a path of its own.
        let since = self.float_cache.last.map_or(0, |l| l + 1);
        if self.block.nodes[since..k]
            .iter()
            .any(|n| matches!(n.kind, NodeKind::Memory | NodeKind::Helper))
        {
            self.float_cache = XmmCache::default();
        }
        self.float_cache.last = Some(k);
        // Only double arithmetic and loads and stores read f registers through the cache.
        let through_cache = match op {
            FloatOp::Arith(arith) => double && !arith.single_inputs(double),
            FloatOp::Load | FloatOp::Store => true,
            _ => false,
        };
        if !through_cache {
            self.flush_floats()?;
        }
        // The slot a double result takes, stored first if another register's dirty value
        // is there: the slow path below must find the dirty slots as they were.
        if double && matches!(op, FloatOp::Arith(_) | FloatOp::Load) && writes_f(&inst) {
            if let Some(victim) = self.float_cache.dirty_victim(inst.rd.num()) {
                self.flush_one(victim)?;
            }
        }
        let dirty = self.float_cache.dirty();
        let first_fp = !self.block.nodes[..k].iter().any(|n| is_fp(&n.inst));
        // fsgnj.d and the moves cannot fail but for FS Off.
        let may_fail = first_fp
            || !matches!(
                (op, double),
                (FloatOp::Sign(_), true) | (FloatOp::MoveToX | FloatOp::MoveFromX, _)
            );
        if first_fp {
            // The first FP instruction of the block: is the FPU on?
            self.a.test(mstatus_slot(), mstatus::FS as i32)?;
            self.a.jz(slow)?;
        }
        let mut discard = None;
        let rne_before = self.frm_is_rne;
        match op {
            FloatOp::Arith(arith) => self.arith(&inst, arith, double, slow)?,
            FloatOp::Sign(sign) => self.sign(&inst, sign, double, slow)?,
            FloatOp::Compare(cmp) => self.compare(&inst, cmp, double, slow)?,
            FloatOp::FromInt(ty) => self.convert_from_int(&inst, ty, double, slow)?,
            FloatOp::ToInt(ty) => {
                let label = self.a.create_label();
                self.convert_to_int(&inst, ty, double, slow, label)?;
                discard = Some(label);
            }
            FloatOp::MoveToX => move_to_x(&mut self.a, &inst, double)?,
            FloatOp::MoveFromX => move_from_x(&mut self.a, &inst, double)?,
            FloatOp::Load | FloatOp::Store => self.access(k, op, double, slow)?,
        }
        if writes_f(&inst) && !matches!(op, FloatOp::Arith(_) | FloatOp::Load) {
            self.float_cache.forget(inst.rd.num());
        }
        self.here(resume)?;
        // After every path (the helper's sets it too; again is harmless).
        if writes_f(&inst) && !self.block.nodes[..k].iter().any(|n| writes_f(&n.inst)) {
            self.a.or(mstatus_slot(), mstatus::FS as i32)?;
        }
        if may_fail {
            self.float_paths.push(SlowPath {
                k,
                label: slow,
                resume,
                discard,
                held: self.float_cache.held(),
                dirty,
                recheck: self.frm_is_rne && !rne_before,
            });
        }
        Ok(())
    }

    /// Add, subtract, multiply, divide, square root, fused multiply-add: the checks and the
    /// fast path. A double result stays in an xmm register of the cache too (a single's upper
    /// half in xmm is not its NaN box).
    fn arith(
        &mut self,
        inst: &Inst,
        arith: Arith,
        double: bool,
        slow: CodeLabel,
    ) -> Result<(), IcedError> {
        let single_inputs = arith.single_inputs(double);
        let cache = &mut self.float_cache;
        let mut src = |r: u8| match cache.lookup(r) {
            Some(x) => Src::X(x),
            None => Src::M(if single_inputs { fs(r) } else { f(r) }),
        };
        let srcs = [
            src(inst.rs1.num()),
            src(inst.rs2.num()),
            src(inst.rs3.num()),
        ];
        let rd_xmm = if double {
            Some(self.float_cache.assign(inst.rd.num()))
        } else {
            self.float_cache.forget(inst.rd.num());
            None
        };
        let a = &mut self.a;
        if single_inputs {
            // An improperly boxed single is the canonical NaN: the helper's case.
            let sources = arith.sources(inst);
            for (i, r) in sources.iter().enumerate() {
                if !sources[..i].contains(r) {
                    a.cmp(f_upper(*r), BOXED)?;
                    a.jne(slow)?;
                }
            }
        }
        // frm = 0 for the dynamic mode, unless known.
        if inst.rm == Rm::Dyn && !self.frm_is_rne {
            check_frm(a, false, slow)?;
            self.frm_is_rne = true;
        }
        // Straight into rd's xmm register, unless that is an operand read after the first
        // or holds a dirty value, which the helper's path stores (a NaN result there is
        // harmless: that path reloads the cache).
        let dirty = self.float_cache.is_dirty(inst.rd.num());
        let dst = match rd_xmm {
            Some(x) if !dirty && !srcs[1..].iter().any(|s| matches!(s, Src::X(y) if *y == x)) => x,
            _ => xmm0,
        };
        compute(a, arith, double, srcs, dst)?;
        // A double result kept in the cache may stay a raw NaN (see `XmmCache`), but for
        // fused multiply-adds and `fcvt.d.s`, whose NaN cases the helper does.
        let raw = rd_xmm.is_some() && !arith.is_fused() && arith != Arith::Widen;
        if !raw {
            // A NaN compares unordered with itself (every invalid operation gives one, and
            // so does a NaN operand).
            ucomis(a, double, dst, dst)?;
            a.jp(slow)?;
        }
        match rd_xmm {
            Some(x) => {
                if x != dst {
                    a.movaps(x, xmm0)?;
                }
                self.float_cache.mark_dirty(inst.rd.num(), raw);
            }
            None => store_result(a, inst, double, dst)?,
        }
        Ok(())
    }

    /// `feq`, `flt`, `fle`: without a NaN operand they raise no flag and x86's unordered
    /// compare says it all; with one, the helper (NV for any NaN in `flt`/`fle`, for a
    /// signalling one in `feq`).
    fn compare(
        &mut self,
        inst: &Inst,
        cmp: Compare,
        double: bool,
        slow: CodeLabel,
    ) -> Result<(), IcedError> {
        let (rd, rs1, rs2) = (inst.rd.num(), inst.rs1.num(), inst.rs2.num());
        let a = &mut self.a;
        if double {
            a.movsd_2(xmm0, f(rs1))?;
            a.ucomisd(xmm0, f(rs2))?;
        } else {
            for r in if rs1 == rs2 {
                vec![rs1]
            } else {
                vec![rs1, rs2]
            } {
                a.cmp(f_upper(r), BOXED)?;
                a.jne(slow)?;
            }
            a.movss(xmm0, fs(rs1))?;
            a.ucomiss(xmm0, fs(rs2))?;
        }
        a.jp(slow)?;
        if rd == 0 {
            return Ok(());
        }
        match cmp {
            Compare::Eq => a.sete(al)?,
            Compare::Lt => a.setb(al)?,
            Compare::Le => a.setbe(al)?,
        }
        match a.regs.get(rd) {
            Some(h) => a.movzx(h.d, al),
            None => {
                a.movzx(eax, al)?;
                super::write_x(a, rd, rax)
            }
        }
    }

    /// `fcvt.{s,d}.{w,wu,l,lu}` of integers the precision holds exactly (no flag, and the
    /// same result in every rounding mode); the helper for the others.
    fn convert_from_int(
        &mut self,
        inst: &Inst,
        ty: IntType,
        double: bool,
        slow: CodeLabel,
    ) -> Result<(), IcedError> {
        let (rd, rs1) = (inst.rd.num(), inst.rs1.num());
        let a = &mut self.a;
        if inst.rm == Rm::Dyn {
            // `frm` must still name a mode (5-7 trap).
            a.cmp(byte_ptr(rbx + Hart::OFFSET_FCSR as i32), 5 << 5)?;
            a.jae(slow)?;
        }
        match ty {
            IntType::W => op_xd!(a, movsxd, rax, rs1)?,
            IntType::Wu => op_xd!(a, mov, eax, rs1)?,
            IntType::L | IntType::Lu => super::read_x(a, rax, rs1)?,
        }
        // Exact below 2^53 (double) or 2^24 (single) in magnitude.
        let bits: u32 = if double { 53 } else { 24 };
        match ty {
            IntType::W | IntType::Wu if double => {}
            IntType::W | IntType::L => {
                // rcx = -1 or 0 when -2^bits <= rax < 2^bits.
                a.mov(rcx, rax)?;
                a.sar(rcx, bits)?;
                a.add(rcx, 1)?;
                a.cmp(rcx, 1)?;
                a.ja(slow)?;
            }
            IntType::Wu | IntType::Lu => {
                a.mov(rcx, rax)?;
                a.shr(rcx, bits)?;
                a.jnz(slow)?;
            }
        }
        // xorps: no dependency on xmm0's old value.
        a.xorps(xmm0, xmm0)?;
        if double {
            a.cvtsi2sd(xmm0, rax)?;
            a.movsd_2(f(rd), xmm0)
        } else {
            a.cvtsi2ss(xmm0, rax)?;
            a.movss(fs(rd), xmm0)?;
            a.mov(f_upper(rd), BOXED)
        }
    }

    /// `fcvt.{w,wu,l,lu}.{s,d}` truncating (`rtz`) or to nearest even (`rne`, or dynamic with
    /// `frm` = 0): a 64-bit x86 conversion, whose result must fit the type (NaNs and
    /// overflows give x86's -2^63, which never fits, and go to the helper for RISC-V's
    /// saturation and NV); x86's PE is its NX, through MXCSR as for arithmetic.
    fn convert_to_int(
        &mut self,
        inst: &Inst,
        ty: IntType,
        double: bool,
        slow: CodeLabel,
        discard: CodeLabel,
    ) -> Result<(), IcedError> {
        let (rd, rs1) = (inst.rd.num(), inst.rs1.num());
        let a = &mut self.a;
        if inst.rm == Rm::Dyn {
            check_frm(a, false, slow)?;
        }
        if !double {
            a.cmp(f_upper(rs1), BOXED)?;
            a.jne(slow)?;
        }
        // The x86 conversion may raise PE (and IE) for a result the helper then replaces:
        // MXCSR as it was goes back on that path (`discard`).
        a.stmxcsr(mxcsr_scratch())?;
        let truncate = inst.rm == Rm::Rtz;
        if double {
            a.movsd_2(xmm0, f(rs1))?;
            if truncate {
                a.cvttsd2si(rax, xmm0)?;
            } else {
                a.cvtsd2si(rax, xmm0)?;
            }
        } else {
            a.movss(xmm0, fs(rs1))?;
            if truncate {
                a.cvttss2si(rax, xmm0)?;
            } else {
                a.cvtss2si(rax, xmm0)?;
            }
        }
        match ty {
            IntType::W => {
                a.movsxd(rcx, eax)?;
                a.cmp(rcx, rax)?;
                a.jne(discard)?;
            }
            IntType::Wu => {
                a.mov(rcx, rax)?;
                a.shr(rcx, 32)?;
                a.jnz(discard)?;
            }
            IntType::L => {
                // Only -2^63 overflows a negation (x86's "integer indefinite" among them).
                a.mov(rcx, rax)?;
                a.neg(rcx)?;
                a.jo(discard)?;
            }
            IntType::Lu => {
                a.test(rax, rax)?;
                a.js(discard)?;
            }
        }
        if rd == 0 {
            return Ok(());
        }
        // The 32-bit results are sign-extended, `wu`'s too.
        let dst = a.regs.get(rd).map_or(rax, |h| h.q);
        match ty {
            IntType::W | IntType::Wu => a.movsxd(dst, eax)?,
            IntType::L | IntType::Lu if dst != rax => a.mov(dst, rax)?,
            IntType::L | IntType::Lu => {}
        }
        if a.regs.get(rd).is_none() {
            super::write_x(a, rd, rax)?;
        }
        Ok(())
    }

    /// The sign injections (`fmv`, `fneg`, `fabs` among them). They raise no flag.
    fn sign(
        &mut self,
        inst: &Inst,
        sign: Sign,
        double: bool,
        slow: CodeLabel,
    ) -> Result<(), IcedError> {
        let (rd, rs1, rs2) = (inst.rd.num(), inst.rs1.num(), inst.rs2.num());
        let a = &mut self.a;
        if !double {
            a.cmp(f_upper(rs1), BOXED)?;
            a.jne(slow)?;
            if rs2 != rs1 {
                a.cmp(f_upper(rs2), BOXED)?;
                a.jne(slow)?;
            }
        }
        if rs1 == rs2 {
            // Whole registers: the upper half of a boxed single stays all ones.
            let top = if double { 63 } else { 31 };
            a.mov(rax, f(rs1))?;
            match sign {
                // `fmv`.
                Sign::Copy if rd == rs1 => return Ok(()),
                Sign::Copy => {}
                // `fneg`.
                Sign::Negate => a.btc(rax, top)?,
                // `fabs`.
                Sign::Xor => a.btr(rax, top)?,
            }
            return a.mov(f(rd), rax);
        }
        // rcx's top bit: the sign to flip rs1's by.
        macro_rules! inject {
            ($ra:expr, $rc:expr, $mem:expr, $top:expr) => {{
                a.mov($ra, $mem(rs1))?;
                a.mov($rc, $mem(rs2))?;
                match sign {
                    Sign::Copy => a.xor($rc, $ra)?,
                    Sign::Negate => {
                        a.xor($rc, $ra)?;
                        a.not($rc)?;
                    }
                    Sign::Xor => {}
                }
                a.shr($rc, $top)?;
                a.shl($rc, $top)?;
                a.xor($ra, $rc)?;
                a.mov($mem(rd), $ra)
            }};
        }
        if double {
            inject!(rax, rcx, f, 63)
        } else {
            inject!(eax, ecx, fs, 31)?;
            a.mov(f_upper(rd), BOXED)
        }
    }

    /// `flw`, `fld`, `fsw`, `fsd`, node `k`: the page memo or TLB hit test inline, as integer
    /// loads and stores do (`memory.rs`); a miss, a fault or a flagged page goes to the helper.
    fn access(
        &mut self,
        k: usize,
        op: FloatOp,
        double: bool,
        slow: CodeLabel,
    ) -> Result<(), IcedError> {
        let inst = self.block.nodes[k].inst;
        let store = op == FloatOp::Store;
        let width = if double { 8 } else { 4 };
        let (rd, rs2) = (inst.rd.num(), inst.rs2.num());
        if store && self.float_cache.is_raw(rs2) {
            let x = self.float_cache.lookup(rs2).expect("held");
            self.canonicalize(x)?;
            self.float_cache.mark_canonical(rs2);
        }
        let at = self.hit_test(k, store, width, slow)?;
        let cached = if store {
            self.float_cache.lookup(rs2)
        } else if double {
            Some(self.float_cache.assign(rd))
        } else {
            self.float_cache.forget(rd);
            None
        };
        let a = &mut self.a;
        match (store, double) {
            (false, true) => {
                let x = cached.expect("assigned");
                a.movsd_2(x, qword_ptr(at))?;
                self.float_cache.mark_dirty(rd, false);
                Ok(())
            }
            (false, false) => {
                a.mov(eax, dword_ptr(at))?;
                a.mov(fs(rd), eax)?;
                a.mov(f_upper(rd), BOXED)
            }
            // `fsw` stores the low half whatever the boxing.
            (true, true) => match cached {
                Some(x) => a.movsd_2(qword_ptr(at), x),
                None => {
                    a.mov(rax, f(rs2))?;
                    a.mov(qword_ptr(at), rax)
                }
            },
            (true, false) => match cached {
                Some(x) => a.movss(dword_ptr(at), x),
                None => {
                    a.mov(eax, fs(rs2))?;
                    a.mov(dword_ptr(at), eax)
                }
            },
        }
    }

    /// The out-of-line path of an FP instruction: the helper.
    pub(super) fn float_slow_path(&mut self, slow: SlowPath) -> Result<(), IcedError> {
        if let Some(discard) = slow.discard {
            self.here(discard)?;
            self.a.ldmxcsr(mxcsr_scratch())?;
        }
        self.here(slow.label)?;
        self.store_dirty(&slow.dirty)?;
        self.call_helper(slow.k)?;
        for (x, r) in slow.held {
            self.a.movsd_2(x, f(r))?;
        }
        if !slow.recheck {
            return self.a.jmp(slow.resume);
        }
        // The inline check may have failed: what later instructions rely on must hold, or the
        // block ends before the next instruction.
        check_frm(&mut self.a, true, slow.resume)?;
        let node = self.block.nodes[slow.k];
        if writes_f(&node.inst) {
            // As after `resume`.
            self.a.or(mstatus_slot(), mstatus::FS as i32)?;
        }
        let next = node.pc + node.inst.size();
        let exit = self.a.create_label();
        self.side_exit(slow.k, exit, next, Vec::new())
    }

    /// Stores the dirty slots of the cache in the hart, in line.
    pub(super) fn flush_floats(&mut self) -> Result<(), IcedError> {
        for pending in self.float_cache.dirty() {
            self.flush_one(pending)?;
        }
        Ok(())
    }

    /// Stores one dirty slot in the hart, in line (a raw NaN made canonical first).
    fn flush_one(&mut self, pending: Pending) -> Result<(), IcedError> {
        if pending.raw {
            self.canonicalize(pending.x)?;
        }
        self.a.movsd_2(f(pending.reg), pending.x)?;
        self.float_cache.mark_clean(pending.reg);
        Ok(())
    }

    /// Makes xmm register `x` the canonical NaN if it holds a NaN: the test in line, the fix
    /// out of line.
    fn canonicalize(&mut self, x: AsmRegisterXmm) -> Result<(), IcedError> {
        let fix = self.a.create_label();
        let mut back = self.a.create_label();
        self.a.ucomisd(x, x)?;
        self.a.jp(fix)?;
        self.a.set_label(&mut back)?;
        self.a.zero_bytes()?;
        self.nan_fixes.push((fix, back, x));
        Ok(())
    }

    /// The out-of-line part of [`Self::canonicalize`].
    pub(super) fn nan_fix(
        &mut self,
        (fix, back, x): (CodeLabel, CodeLabel, AsmRegisterXmm),
    ) -> Result<(), IcedError> {
        self.here(fix)?;
        self.a.mov(rax, CANONICAL_NAN)?;
        self.a.movq(x, rax)?;
        self.a.jmp(back)
    }

    /// Stores the given dirty slots in the hart, on an out-of-line path (raw NaNs made
    /// canonical there). Uses `rax`.
    pub(super) fn store_dirty(&mut self, dirty: &[Pending]) -> Result<(), IcedError> {
        for p in dirty {
            if p.raw {
                let mut number = self.a.create_label();
                self.a.ucomisd(p.x, p.x)?;
                self.a.jnp(number)?;
                self.a.mov(rax, CANONICAL_NAN)?;
                self.a.movq(p.x, rax)?;
                self.a.set_label(&mut number)?;
                self.a.zero_bytes()?;
            }
            self.a.movsd_2(f(p.reg), p.x)?;
        }
        Ok(())
    }
}

/// Jumps to `to` when `frm` is (`rne`) or is not (`!rne`) round-to-nearest-even.
fn check_frm(a: &mut Asm, rne: bool, to: CodeLabel) -> Result<(), IcedError> {
    a.test(byte_ptr(rbx + Hart::OFFSET_FCSR as i32), FRM_MASK as i32)?;
    if rne {
        a.jz(to)
    } else {
        a.jnz(to)
    }
}

/// Computes the operation into `xd` from `srcs` (`rs1`, `rs2`, `rs3`); `xd` may be `rs1`'s
/// register, not another operand's.
fn compute(
    a: &mut Asm,
    arith: Arith,
    double: bool,
    srcs: [Src; 3],
    xd: AsmRegisterXmm,
) -> Result<(), IcedError> {
    let [s1, s2, s3] = srcs;
    // Whole-register loads first: no dependency on the old upper half.
    let load = |a: &mut Asm, dst: AsmRegisterXmm, s: Src, double: bool| match s {
        Src::X(x) if x == dst => Ok(()),
        Src::X(x) => a.movaps(dst, x),
        Src::M(m) if double => a.movsd_2(dst, m),
        Src::M(m) => a.movss(dst, m),
    };
    match arith {
        Arith::Narrow => {
            load(a, xd, s1, true)?;
            return a.cvtsd2ss(xd, xd);
        }
        Arith::Widen => {
            load(a, xd, s1, false)?;
            return a.cvtss2sd(xd, xd);
        }
        _ => {}
    }
    load(a, xd, s1, double)?;
    if arith.is_fused() {
        load(a, xmm1, s2, double)?;
    }
    // RISC-V's fnmsub is x86's fnmadd and the other way round.
    match (arith, double) {
        (Arith::Add, true) => op_src!(a, addsd, xd, s2),
        (Arith::Add, false) => op_src!(a, addss, xd, s2),
        (Arith::Sub, true) => op_src!(a, subsd, xd, s2),
        (Arith::Sub, false) => op_src!(a, subss, xd, s2),
        (Arith::Mul, true) => op_src!(a, mulsd, xd, s2),
        (Arith::Mul, false) => op_src!(a, mulss, xd, s2),
        (Arith::Div, true) => op_src!(a, divsd, xd, s2),
        (Arith::Div, false) => op_src!(a, divss, xd, s2),
        (Arith::Sqrt, true) => a.sqrtsd(xd, xd),
        (Arith::Sqrt, false) => a.sqrtss(xd, xd),
        (fused, double) => {
            macro_rules! fma {
                ($m:ident) => {
                    match s3 {
                        Src::X(x) => a.$m(xd, xmm1, x),
                        Src::M(m) => a.$m(xd, xmm1, m),
                    }
                };
            }
            match (fused, double) {
                (Arith::Madd, true) => fma!(vfmadd213sd),
                (Arith::Madd, false) => fma!(vfmadd213ss),
                (Arith::Msub, true) => fma!(vfmsub213sd),
                (Arith::Msub, false) => fma!(vfmsub213ss),
                (Arith::Nmsub, true) => fma!(vfnmadd213sd),
                (Arith::Nmsub, false) => fma!(vfnmadd213ss),
                (Arith::Nmadd, true) => fma!(vfnmsub213sd),
                (Arith::Nmadd, false) => fma!(vfnmsub213ss),
                _ => unreachable!("handled above"),
            }
        }
    }
}

/// `ucomisd`/`ucomiss` of two registers: compares `x` with `y` in the precision of `double`.
fn ucomis(
    a: &mut Asm,
    double: bool,
    x: AsmRegisterXmm,
    y: AsmRegisterXmm,
) -> Result<(), IcedError> {
    if double {
        a.ucomisd(x, y)
    } else {
        a.ucomiss(x, y)
    }
}

/// Writes `x` to `rd` (NaN-boxed for a single).
fn store_result(
    a: &mut Asm,
    inst: &Inst,
    double: bool,
    x: AsmRegisterXmm,
) -> Result<(), IcedError> {
    let rd = inst.rd.num();
    if double {
        a.movsd_2(f(rd), x)
    } else {
        a.movss(fs(rd), x)?;
        a.mov(f_upper(rd), BOXED)
    }
}

/// `fmv.x.w` (sign-extended) and `fmv.x.d`: the raw bits, whatever the boxing.
fn move_to_x(a: &mut Asm, inst: &Inst, double: bool) -> Result<(), IcedError> {
    let (rd, rs1) = (inst.rd.num(), inst.rs1.num());
    if rd == 0 {
        return Ok(());
    }
    let dst = a.regs.get(rd).map_or(rax, |h| h.q);
    if double {
        a.mov(dst, f(rs1))?;
    } else {
        a.movsxd(dst, fs(rs1))?;
    }
    if a.regs.get(rd).is_none() {
        super::write_x(a, rd, rax)?;
    }
    Ok(())
}

/// `fmv.w.x` (NaN-boxed) and `fmv.d.x`.
fn move_from_x(a: &mut Asm, inst: &Inst, double: bool) -> Result<(), IcedError> {
    let (rd, rs1) = (inst.rd.num(), inst.rs1.num());
    match (a.regs.get(rs1), double) {
        (Some(h), true) => a.mov(f(rd), h.q),
        (Some(h), false) => {
            a.mov(fs(rd), h.d)?;
            a.mov(f_upper(rd), BOXED)
        }
        (None, true) => {
            super::read_x(a, rax, rs1)?;
            a.mov(f(rd), rax)
        }
        (None, false) => {
            op_xd!(a, mov, eax, rs1)?;
            a.mov(fs(rd), eax)?;
            a.mov(f_upper(rd), BOXED)
        }
    }
}
