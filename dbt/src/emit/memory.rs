//! Loads, stores and AMOs ([`super::amo`]) with the TLB hit test inline (see `ospite_mmu::tlb`
//! for the layout): the fast table of the current regime is in the frame
//! (`frame::LOAD_TABLE`/`STORE_TABLE`); a hit is a compare of the masked address with the
//! entry's tag and an add of its host addend. A miss (or a flagged entry: device memory, a code
//! page, a page not yet dirty, a misaligned access) calls the interpreter's semantics for the
//! instruction out of line.
//!
//! Each access first tries a *page memo* in the frame: the tag and addend of the TLB entry an
//! earlier access hit. The inline test compares the masked address with the memo's tag and the
//! access adds its addend: both are loads from fixed addresses, so unlike the entry's they do
//! not wait for the address. A memo that does not match is refilled out of line from the TLB
//! (and a TLB miss goes on to the slow path). A self-loop gives each of its loads and stores
//! (up to [`frame::MEMO_COUNT`]) a memo of its own; any other access uses the memo of its base
//! register (one for loads, one for stores). Every entry into translated code empties them all,
//! and within one entry a memo stays right, whichever access filled it: the privilege, `satp`
//! and the other bits that pick the TLB's regime change only in instructions that end blocks
//! and leave translated code, and no helper call changes a translation (a store that changes
//! translated code leaves too; the runtime's other TLB flushes happen between entries).
//!
//! A self-loop's access whose base register only steps up by a constant from one iteration to
//! the next (an array walked upwards, or a base that does not change) tests a *bound memo*
//! instead: one compare of the base register with the bound past which the access leaves the
//! page its last refill checked, with no masking (see [`Memo::Bound`]).

use iced_x86::code_asm::*;
use iced_x86::IcedError;
use ospite_isa::{Class, Inst, Op, RegFile};
use ospite_mmu::tlb::{
    FAST_ENTRIES, TLB_ENTRY_ADDEND_OFFSET, TLB_ENTRY_SIZE, TLB_ENTRY_TAG_OFFSET,
};
use ospite_mmu::PAGE_SHIFT;

use super::{frame, x, Asm, Emitter};
use crate::ir::{Block, Node, NodeKind, Terminal};

/// A TLB-miss path: node `k`, entered at `label`, continuing at `resume`.
pub(super) struct SlowPath {
    k: usize,
    label: CodeLabel,
    resume: CodeLabel,
}

/// The out-of-line refill of a page memo, entered at `label` (for a tag memo with the masked
/// address in `rcx`), going back to `back` on a TLB hit and to `slow` on a miss.
pub(super) struct Refill {
    memo: Memo,
    /// The access's node.
    k: usize,
    store: bool,
    width: u8,
    label: CodeLabel,
    back: CodeLabel,
    slow: CodeLabel,
}

/// The page memo of a load or store in a self-loop: a pair of frame slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Memo {
    /// At this frame offset, the tag and the addend of the TLB entry an access last hit; any
    /// access that tests the memo may refill it.
    Tag(i32),
    /// At this frame offset, a bound, an addend and a tag, for an access whose base register
    /// steps up by the same multiple of the access width, at most half a page, in every
    /// iteration ([`induction_stride`]). The access is on the page of the last refill (and
    /// aligned) while the base register stays below the bound: after a refill the base only
    /// grows, until the loop is left. Each entry into the loop sets the bound afresh: from the
    /// tag when the first iteration's access (the base's steps before it counted) is on the
    /// tag's page (tested as a tag memo is), else to 0. A refill
    /// on the first page of the address space or on one of its last three leaves the bound at
    /// 0 and the tag empty, so that the base's steps can never wrap around past the bound.
    /// The slots may be shared with other loops: only the tag and the addend carry over.
    ///
    /// With a `stride` register (the loop adds it to the base and never writes it), bounds
    /// are set only while its value is a multiple of the width below 2 KiB: entries and
    /// refills test it.
    Bound { at: i32, stride: Option<u8> },
}

/// Whether `n` may write `x[r]` (conservatively: any node whose `rd` field names it, unless
/// that field is an f register).
fn writes(n: &Node, r: u8) -> bool {
    match n.kind {
        NodeKind::Const { rd, .. } => rd == r,
        _ => n.inst.rd.num() == r && n.inst.op.info().fmt.operands().rd != RegFile::F,
    }
}

/// How `x[r]` grows in each iteration of a self-loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stride {
    /// By this many bytes: every node that writes it is an `addi r, r, imm`, and the
    /// immediates add up to 0..=2048.
    Const(u64),
    /// By the value of this register: the one node that writes it is an `add` of `r` and that
    /// register, and no node writes that register. (Before or after the access: bounds are
    /// set only while the step is not negative, so the base never drops below the value an
    /// entry or a refill checked.)
    Reg(u8),
}

/// How `x[r]` grows in each iteration of the self-loop `block`, if it steps as a [`Stride`]
/// describes.
fn induction_stride(block: &Block, r: u8) -> Option<Stride> {
    let steps: Vec<&Node> = block.nodes.iter().filter(|n| writes(n, r)).collect();
    let native = |n: &Node, op| n.kind == NodeKind::Native && n.inst.op == op;
    if let [n] = steps[..] {
        let (rs1, rs2) = (n.inst.rs1.num(), n.inst.rs2.num());
        let other = if rs1 == r { rs2 } else { rs1 };
        let invariant = !block.nodes.iter().any(|m| writes(m, other));
        if native(n, Op::Add) && (rs1 == r || rs2 == r) && other != r && other != 0 {
            return invariant.then_some(Stride::Reg(other));
        }
    }
    let mut stride = 0i64;
    for n in steps {
        if !(native(n, Op::Addi) && n.inst.rs1.num() == r) {
            return None;
        }
        stride += i64::from(n.inst.imm);
    }
    u64::try_from(stride)
        .ok()
        .filter(|&s| s <= 2048)
        .map(Stride::Const)
}

/// Tests (sets ZF when) the stride register `s` holds a multiple of `width` below 2 KiB.
fn test_stride(a: &mut Asm, s: u8, width: u8) -> Result<(), IcedError> {
    let outside = !(2047 & !(i32::from(width) - 1));
    match a.regs.get(s) {
        Some(h) => a.test(h.q, outside),
        None => a.test(x(s), outside),
    }
}

/// The access width of node `n`, a load, store or AMO.
fn access_width(n: &Node) -> u64 {
    match n.inst.op.class() {
        Class::Load(w, _)
        | Class::Store(w)
        | Class::FpLoad(w)
        | Class::FpStore(w)
        | Class::Amo(w) => u64::from(w),
        other => unreachable!("not a load, store or AMO: {other:?}"),
    }
}

/// Whether node `n` loads or stores, integer or FP (an AMO does both).
fn accesses_memory(n: &Node) -> bool {
    n.kind == NodeKind::Memory
        || (n.kind == NodeKind::Float
            && matches!(n.inst.op.class(), Class::FpLoad(_) | Class::FpStore(_)))
}

/// Whether the self-loop `block` is a search: whether it may leave on a branch that compares
/// a register one of its loads writes. A search is entered often and runs few iterations,
/// for which setting bounds on entry costs more than bound memos save.
fn is_search(block: &Block) -> bool {
    let loaded = |r: u8| {
        r != 0
            && block
                .nodes
                .iter()
                .any(|n| n.kind == NodeKind::Memory && writes(n, r))
    };
    let exits = block.nodes.iter().filter_map(|n| match n.kind {
        NodeKind::SideExit { .. } => Some((n.inst.rs1.num(), n.inst.rs2.num())),
        _ => None,
    });
    let terminal = match block.terminal {
        Terminal::Branch { rs1, rs2, .. } => Some((rs1, rs2)),
        _ => None,
    };
    exits
        .chain(terminal)
        .any(|(rs1, rs2)| loaded(rs1) || loaded(rs2))
}

/// The page memos of a self-loop `block`, for each load and store in order while there are
/// slots: a bound memo where its base register steps up by a multiple of its width, else a tag
/// memo. Bound memos only when there are at most [`frame::BOUND_MEMO_COUNT`] such accesses and
/// the loop is not a search: each entry into the loop sets every bound afresh, which costs
/// more than the bounds save in the few iterations of a search, or of a loop with many
/// accesses (a long iteration, of which the tests are a small part, in loops seen run few
/// times, as n-body's inner one).
pub(super) fn assign_memos(block: &Block) -> Vec<Option<Memo>> {
    let search = is_search(block);
    let strides: Vec<Option<Option<u8>>> = block
        .nodes
        .iter()
        .map(|n| {
            let rs1 = n.inst.rs1.num();
            if !accesses_memory(n) || search || rs1 == 0 {
                return None;
            }
            match induction_stride(block, rs1)? {
                Stride::Const(c) => (c % access_width(n) == 0).then_some(None),
                Stride::Reg(s) => Some(Some(s)),
            }
        })
        .collect();
    let bounded = strides.iter().flatten().count() <= frame::BOUND_MEMO_COUNT;
    let (mut tags, mut bounds) = (0, 0);
    block
        .nodes
        .iter()
        .zip(strides)
        .map(|(n, stride)| {
            if let Some(stride) = stride.filter(|_| bounded) {
                bounds += 1;
                let at = frame::BOUND_MEMOS + 24 * (bounds - 1);
                Some(Memo::Bound { at, stride })
            } else if accesses_memory(n) && tags < frame::MEMO_COUNT {
                tags += 1;
                Some(Memo::Tag(frame::MEMOS + 16 * (tags as i32 - 1)))
            } else {
                None
            }
        })
        .collect()
}

/// The bound of the bound memo at frame offset `at` for a base register at most `rcx + past`,
/// where `rcx` is the masked address on a checked page.
fn past_the_page(width: u8, inst: &Inst) -> i32 {
    // The page's end, less the width, plus one, less the offset.
    (1 << PAGE_SHIFT) + 1 - i32::from(width) - inst.imm
}

/// Sets the bounds of the bound memos among `memos` of `block` for an entry into the loop:
/// from the tag when the access would hit it, else 0.
pub(super) fn enter_bound_memos(
    a: &mut Asm,
    block: &Block,
    memos: &[Option<Memo>],
) -> Result<(), IcedError> {
    for (k, (n, memo)) in block.nodes.iter().zip(memos).enumerate() {
        if let Some(Memo::Bound { at, stride }) = *memo {
            let width = access_width(n) as u8;
            // The address of the first iteration's access: the base's steps before it count.
            let rs1 = n.inst.rs1.num();
            let before: i32 = block.nodes[..k]
                .iter()
                .filter(|m| writes(m, rs1))
                .map(|m| m.inst.imm)
                .sum();
            let mut first = n.inst;
            first.imm += before;
            address(a, &first, rcx)?;
            a.and(rcx, tag_mask(width))?;
            a.xor(eax, eax)?;
            a.cmp(rcx, frame::slot(at + 16))?;
            a.lea(rcx, qword_ptr(rcx + past_the_page(width, &n.inst)))?;
            a.cmovne(rcx, rax)?;
            if let Some(s) = stride {
                test_stride(a, s, width)?;
                a.cmovne(rcx, rax)?;
            }
            a.mov(frame::slot(at), rcx)?;
        }
    }
    Ok(())
}

/// The fast table of loads or of stores: `rax`, a virtual address, becomes its entry.
fn tlb_entry(a: &mut Asm, store: bool) -> Result<(), IcedError> {
    a.shr(rax, PAGE_SHIFT - TLB_ENTRY_SIZE.trailing_zeros())?;
    a.and(eax, ((FAST_ENTRIES - 1) * TLB_ENTRY_SIZE) as i32)?;
    let table = if store {
        frame::STORE_TABLE
    } else {
        frame::LOAD_TABLE
    };
    a.add(rax, frame::slot(table))
}

/// The mask of an access of `width` bytes: the page and the alignment bits.
fn tag_mask(width: u8) -> i32 {
    -(1i32 << PAGE_SHIFT) | (i32::from(width) - 1)
}

/// Loads the virtual address `imm(rs1)` of `inst` into `r`.
fn address(a: &mut Asm, inst: &Inst, r: AsmRegister64) -> Result<(), IcedError> {
    let imm = inst.imm;
    match a.regs.get(inst.rs1.num()) {
        Some(h) if imm == 0 => a.mov(r, h.q),
        Some(h) => a.lea(r, qword_ptr(h.q + imm)),
        None => {
            super::read_x(a, r, inst.rs1.num())?;
            if imm != 0 {
                a.add(r, imm)?;
            }
            Ok(())
        }
    }
}

/// Where the access goes in the host, given the page's `addend`: the addend in `rsi` plus
/// `base + imm` when `rs1` has a host register `base` (the address is never copied), else
/// added to the virtual address already in `rsi`.
fn host_operand(
    a: &mut Asm,
    base: Option<AsmRegister64>,
    imm: i32,
    addend: AsmMemoryOperand,
) -> Result<AsmMemoryOperand, IcedError> {
    match base {
        None => {
            a.add(rsi, addend)?;
            Ok(qword_ptr(rsi))
        }
        Some(h) => {
            a.mov(rsi, addend)?;
            Ok(qword_ptr(rsi + h + imm))
        }
    }
}

/// The hit test of a load or store of `width` bytes at `imm(rs1)` of `inst` against the page
/// memo at frame offset `memo`: returns where the access goes in the host, or goes to `refill`
/// with the masked address in `rcx`; `back` is bound where the refill comes back. Uses `rcx`
/// and `rsi`.
fn memo_hit_test(
    a: &mut Asm,
    inst: &Inst,
    width: u8,
    memo: i32,
    refill: CodeLabel,
    back: CodeLabel,
) -> Result<AsmMemoryOperand, IcedError> {
    let base = a.regs.get(inst.rs1.num()).map(|h| h.q);
    if base.is_some() {
        address(a, inst, rcx)?;
    } else {
        // Once from the hart, kept in rsi.
        address(a, inst, rsi)?;
        a.mov(rcx, rsi)?;
    }
    a.and(rcx, tag_mask(width))?;
    a.cmp(rcx, frame::slot(memo))?;
    a.jne(refill)?;
    let mut back = back;
    a.set_label(&mut back)?;
    host_operand(a, base, inst.imm, frame::slot(memo + 8))
}

/// The hit test of a load or store at `imm(rs1)` of `inst` against the bound memo at frame
/// offset `memo`: returns where the access goes in the host, or goes to `refill`; `back` is
/// bound where the refill comes back. Uses `rsi`.
fn bound_hit_test(
    a: &mut Asm,
    inst: &Inst,
    memo: i32,
    refill: CodeLabel,
    back: CodeLabel,
) -> Result<AsmMemoryOperand, IcedError> {
    let mut back = back;
    match a.regs.get(inst.rs1.num()) {
        Some(h) => {
            a.cmp(h.q, frame::slot(memo))?;
            a.jae(refill)?;
            a.set_label(&mut back)?;
            a.mov(rsi, frame::slot(memo + 8))?;
            Ok(qword_ptr(rsi + h.q + inst.imm))
        }
        None => {
            // The refill keeps rsi.
            super::read_x(a, rsi, inst.rs1.num())?;
            a.cmp(rsi, frame::slot(memo))?;
            a.jae(refill)?;
            a.set_label(&mut back)?;
            a.add(rsi, frame::slot(memo + 8))?;
            Ok(qword_ptr(rsi + inst.imm))
        }
    }
}

/// The inline TLB hit test of a load or store of `width` bytes at `imm(rs1)` of `inst`:
/// returns where the access goes in the host, or goes to `slow` on a miss, a flagged page or a
/// misaligned access. Uses `rax`, `rcx` and `rsi`. When `rs1` has a host register the address
/// is never copied: the host address is the entry's addend (in `rsi`) plus that register.
pub(super) fn tlb_hit_test(
    a: &mut Asm,
    inst: &Inst,
    store: bool,
    width: u8,
    slow: CodeLabel,
) -> Result<AsmMemoryOperand, IcedError> {
    let base = a.regs.get(inst.rs1.num()).map(|h| h.q);
    // rax and rcx = the virtual address.
    if base.is_none() {
        // Once from the hart, kept in rsi.
        address(a, inst, rsi)?;
        a.mov(rax, rsi)?;
    } else {
        address(a, inst, rax)?;
    }
    // rax = the fast-table entry.
    tlb_entry(a, store)?;
    // The page and the alignment bits against the tag (flags never match).
    match base {
        None => a.mov(rcx, rsi)?,
        Some(_) => address(a, inst, rcx)?,
    }
    a.and(rcx, tag_mask(width))?;
    a.cmp(rcx, qword_ptr(rax + TLB_ENTRY_TAG_OFFSET as i32))?;
    a.jne(slow)?;
    host_operand(
        a,
        base,
        inst.imm,
        qword_ptr(rax + TLB_ENTRY_ADDEND_OFFSET as i32),
    )
}

impl Emitter<'_> {
    /// The hit test of node `k`, a load or store of `width` bytes: against its page memo (a
    /// loop's own, else its base register's; not x0's: an absolute address, rarely reused),
    /// refilled out of line, or else against the TLB. Returns where the access goes in the
    /// host; goes to `slow` on a TLB miss, a flagged page or a misaligned access.
    pub(super) fn hit_test(
        &mut self,
        k: usize,
        store: bool,
        width: u8,
        slow: CodeLabel,
    ) -> Result<AsmMemoryOperand, IcedError> {
        let inst = self.block.nodes[k].inst;
        let rs1 = inst.rs1.num();
        let memo = match self.memos.get(k).copied().flatten() {
            Some(memo) => memo,
            None if rs1 != 0 => Memo::Tag(frame::register_memo(rs1, store)),
            None => return tlb_hit_test(&mut self.a, &inst, store, width, slow),
        };
        let label = self.a.create_label();
        let back = self.a.create_label();
        let at = match memo {
            Memo::Tag(at) => memo_hit_test(&mut self.a, &inst, width, at, label, back)?,
            Memo::Bound { at, .. } => bound_hit_test(&mut self.a, &inst, at, label, back)?,
        };
        self.refills.push(Refill {
            memo,
            k,
            store,
            width,
            label,
            back,
            slow,
        });
        Ok(at)
    }

    /// A memo's refill: from the TLB entry, on a hit.
    pub(super) fn refill(&mut self, refill: Refill) -> Result<(), IcedError> {
        self.here(refill.label)?;
        let inst = self.block.nodes[refill.k].inst;
        let a = &mut self.a;
        let at = match refill.memo {
            Memo::Tag(at) => at,
            Memo::Bound { at, .. } => {
                // rcx = the masked address (rsi, the base of an unmapped register, is kept).
                address(a, &inst, rcx)?;
                a.and(rcx, tag_mask(refill.width))?;
                at
            }
        };
        a.mov(rax, rcx)?;
        tlb_entry(a, refill.store)?;
        a.cmp(rcx, qword_ptr(rax + TLB_ENTRY_TAG_OFFSET as i32))?;
        a.jne(refill.slow)?;
        a.mov(rax, qword_ptr(rax + TLB_ENTRY_ADDEND_OFFSET as i32))?;
        a.mov(frame::slot(at + 8), rax)?;
        if let Memo::Bound { stride, .. } = refill.memo {
            // The page must be neither the first nor one of the last three (rcx - 4096 at
            // most 2^64 - 16384): else the tag stays empty and the bound 0. A stride out of
            // range keeps the tag but sets no bound either.
            let mut near_end = a.create_label();
            let mut unbounded = a.create_label();
            a.lea(rax, qword_ptr(rcx - 4096))?;
            a.cmp(rax, -16384)?;
            a.ja(near_end)?;
            a.mov(frame::slot(at + 16), rcx)?;
            if let Some(s) = stride {
                test_stride(a, s, refill.width)?;
                a.jnz(unbounded)?;
            }
            a.add(rcx, past_the_page(refill.width, &inst))?;
            a.mov(frame::slot(at), rcx)?;
            a.jmp(refill.back)?;
            a.set_label(&mut near_end)?;
            a.mov(frame::slot(at + 16), -1)?;
            a.set_label(&mut unbounded)?;
            a.mov(frame::slot(at), 0)?;
        } else {
            a.mov(frame::slot(at), rcx)?;
        }
        a.jmp(refill.back)
    }

    /// A load, store or AMO, node `k`.
    pub(super) fn memory(&mut self, k: usize) -> Result<(), IcedError> {
        let inst = self.block.nodes[k].inst;
        // An AMO writes, so it tests the store table (whose flags also catch misalignment).
        let (store, width, signed, amo) = match inst.op.class() {
            Class::Load(w, s) => (false, w, s, false),
            Class::Store(w) => (true, w, false, false),
            Class::Amo(w) => (true, w, false, true),
            other => unreachable!("not a load, store or AMO: {other:?}"),
        };
        let slow = self.a.create_label();
        let mut resume = self.a.create_label();
        let at = self.hit_test(k, store, width, slow)?;
        let a = &mut self.a;
        if amo {
            super::amo::emit(a, &inst, width, at)?;
        } else if store && inst.rs2.num() == 0 {
            // x0: an immediate zero, no register read.
            match width {
                1 => a.mov(byte_ptr(at), 0)?,
                2 => a.mov(word_ptr(at), 0)?,
                4 => a.mov(dword_ptr(at), 0)?,
                _ => a.mov(qword_ptr(at), 0)?,
            }
        } else if store {
            // rax is free once the hit test is done (rdx may hold a guest register).
            let (q, d, w, b) = match a.regs.get(inst.rs2.num()) {
                Some(h) => (h.q, h.d, h.w, h.b),
                None => {
                    a.mov(rax, x(inst.rs2.num()))?;
                    (rax, eax, ax, al)
                }
            };
            match width {
                1 => a.mov(byte_ptr(at), b)?,
                2 => a.mov(word_ptr(at), w)?,
                4 => a.mov(dword_ptr(at), d)?,
                _ => a.mov(qword_ptr(at), q)?,
            }
        } else {
            // Straight into rd's host register when it has one.
            let (q, d) = match a.regs.get(inst.rd.num()) {
                Some(h) => (h.q, h.d),
                None => (rax, eax),
            };
            match (width, signed) {
                (1, true) => a.movsx(q, byte_ptr(at))?,
                (1, false) => a.movzx(d, byte_ptr(at))?,
                (2, true) => a.movsx(q, word_ptr(at))?,
                (2, false) => a.movzx(d, word_ptr(at))?,
                (4, true) => a.movsxd(q, dword_ptr(at))?,
                (4, false) => a.mov(d, dword_ptr(at))?,
                _ => a.mov(q, qword_ptr(at))?,
            }
            // A load into x0 still accesses memory (and may fault); the value is dropped.
            if inst.rd.num() != 0 && a.regs.get(inst.rd.num()).is_none() {
                super::write_x(a, inst.rd.num(), rax)?;
            }
        }
        a.set_label(&mut resume)?;
        a.zero_bytes()?;
        self.deferred.push(SlowPath {
            k,
            label: slow,
            resume,
        });
        Ok(())
    }

    /// The miss path of a load, store or AMO: the interpreter's semantics do the whole access.
    pub(super) fn slow_path(&mut self, slow: SlowPath) -> Result<(), IcedError> {
        self.here(slow.label)?;
        self.call_helper(slow.k)?;
        self.a.jmp(slow.resume)
    }
}
