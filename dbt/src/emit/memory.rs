//! Loads and stores with the TLB hit test inline (see `ospite_mmu::tlb` for the layout): the
//! fast table of the current regime is in the frame (`frame::LOAD_TABLE`/`STORE_TABLE`); a hit is
//! a compare of the masked address with the entry's tag and an add of its host addend. A miss
//! (or a flagged entry: device memory, a code page, a page not yet dirty, a misaligned access)
//! calls the interpreter's semantics for the instruction out of line.
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

use iced_x86::code_asm::*;
use iced_x86::IcedError;
use ospite_isa::{Class, Inst};
use ospite_mmu::tlb::{
    FAST_ENTRIES, TLB_ENTRY_ADDEND_OFFSET, TLB_ENTRY_SIZE, TLB_ENTRY_TAG_OFFSET,
};
use ospite_mmu::PAGE_SHIFT;

use super::{frame, x, Asm, Emitter};
use crate::ir::{Block, Node, NodeKind};

/// A TLB-miss path: node `k`, entered at `label`, continuing at `resume`.
pub(super) struct SlowPath {
    k: usize,
    label: CodeLabel,
    resume: CodeLabel,
}

/// The out-of-line refill of the page memo at frame offset `memo`, entered at `label` with the
/// masked address in `rcx`, going back to `back` on a TLB hit and to `slow` on a miss.
pub(super) struct Refill {
    memo: i32,
    store: bool,
    label: CodeLabel,
    back: CodeLabel,
    slow: CodeLabel,
}

/// Whether node `n` loads or stores, integer or FP.
fn accesses_memory(n: &Node) -> bool {
    n.kind == NodeKind::Memory
        || (n.kind == NodeKind::Float
            && matches!(n.inst.op.class(), Class::FpLoad(_) | Class::FpStore(_)))
}

/// The page memos of a self-loop `block`: the frame offset of each load's and store's, in
/// order, while there are slots.
pub(super) fn assign_memos(block: &Block) -> Vec<Option<i32>> {
    let mut next = 0;
    block
        .nodes
        .iter()
        .map(|n| {
            (accesses_memory(n) && next < frame::MEMO_COUNT).then(|| {
                next += 1;
                frame::MEMOS + 16 * (next as i32 - 1)
            })
        })
        .collect()
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
            None if rs1 != 0 => frame::register_memo(rs1, store),
            None => return tlb_hit_test(&mut self.a, &inst, store, width, slow),
        };
        let label = self.a.create_label();
        let back = self.a.create_label();
        let at = memo_hit_test(&mut self.a, &inst, width, memo, label, back)?;
        self.refills.push(Refill {
            memo,
            store,
            label,
            back,
            slow,
        });
        Ok(at)
    }

    /// A memo's refill: from the TLB entry, on a hit.
    pub(super) fn refill(&mut self, refill: Refill) -> Result<(), IcedError> {
        self.here(refill.label)?;
        let a = &mut self.a;
        a.mov(rax, rcx)?;
        tlb_entry(a, refill.store)?;
        a.cmp(rcx, qword_ptr(rax + TLB_ENTRY_TAG_OFFSET as i32))?;
        a.jne(refill.slow)?;
        a.mov(frame::slot(refill.memo), rcx)?;
        a.mov(rcx, qword_ptr(rax + TLB_ENTRY_ADDEND_OFFSET as i32))?;
        a.mov(frame::slot(refill.memo + 8), rcx)?;
        a.jmp(refill.back)
    }

    /// A load or store, node `k`.
    pub(super) fn memory(&mut self, k: usize) -> Result<(), IcedError> {
        let inst = self.block.nodes[k].inst;
        let (store, width, signed) = match inst.op.class() {
            Class::Load(w, s) => (false, w, s),
            Class::Store(w) => (true, w, false),
            other => unreachable!("not a load or store: {other:?}"),
        };
        let slow = self.a.create_label();
        let mut resume = self.a.create_label();
        let at = self.hit_test(k, store, width, slow)?;
        let a = &mut self.a;
        if store && inst.rs2.num() == 0 {
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

    /// The miss path of a load or store: the interpreter's semantics do the whole access.
    pub(super) fn slow_path(&mut self, slow: SlowPath) -> Result<(), IcedError> {
        self.here(slow.label)?;
        self.call_helper(slow.k)?;
        self.a.jmp(slow.resume)
    }
}
