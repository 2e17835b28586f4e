//! Loads and stores with the TLB hit test inline (see `ospite_mmu::tlb` for the layout): the
//! fast table of the current regime is in the frame (`frame::LOAD_TABLE`/`STORE_TABLE`); a hit is
//! a compare of the masked address with the entry's tag and an add of its host addend. A miss
//! (or a flagged entry: device memory, a code page, a page not yet dirty, a misaligned access)
//! calls the interpreter's semantics for the instruction out of line.

use iced_x86::code_asm::*;
use iced_x86::IcedError;
use ospite_isa::{Class, Inst};
use ospite_mmu::tlb::{
    FAST_ENTRIES, TLB_ENTRY_ADDEND_OFFSET, TLB_ENTRY_SIZE, TLB_ENTRY_TAG_OFFSET,
};
use ospite_mmu::PAGE_SHIFT;

use super::{frame, x, Asm, Emitter};

/// A TLB-miss path: node `k`, entered at `label`, continuing at `resume`.
pub(super) struct SlowPath {
    k: usize,
    label: CodeLabel,
    resume: CodeLabel,
}

/// The inline TLB hit test of a load or store of `width` bytes at `imm(rs1)` of `inst`:
/// leaves the host address in `rsi`, or goes to `slow` on a miss, a flagged page or a
/// misaligned access. Uses `rax` and `rcx`.
pub(super) fn tlb_hit_test(
    a: &mut Asm,
    inst: &Inst,
    store: bool,
    width: u8,
    slow: CodeLabel,
) -> Result<(), IcedError> {
    // rsi = the virtual address.
    match a.regs.get(inst.rs1.num()) {
        Some(h) if inst.imm != 0 => a.lea(rsi, qword_ptr(h.q + inst.imm))?,
        _ => {
            super::read_x(a, rsi, inst.rs1.num())?;
            if inst.imm != 0 {
                a.add(rsi, inst.imm)?;
            }
        }
    }
    // rax = the fast-table entry.
    a.mov(rax, rsi)?;
    a.shr(rax, PAGE_SHIFT - TLB_ENTRY_SIZE.trailing_zeros())?;
    a.and(eax, ((FAST_ENTRIES - 1) * TLB_ENTRY_SIZE) as i32)?;
    let table = if store {
        frame::STORE_TABLE
    } else {
        frame::LOAD_TABLE
    };
    a.add(rax, frame::slot(table))?;
    // The page and the alignment bits against the tag (flags never match).
    a.mov(rcx, rsi)?;
    a.and(rcx, -(1i32 << PAGE_SHIFT) | (i32::from(width) - 1))?;
    a.cmp(rcx, qword_ptr(rax + TLB_ENTRY_TAG_OFFSET as i32))?;
    a.jne(slow)?;
    a.add(rsi, qword_ptr(rax + TLB_ENTRY_ADDEND_OFFSET as i32))
}

impl Emitter<'_> {
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
        tlb_hit_test(&mut self.a, &inst, store, width, slow)?;
        let a = &mut self.a;
        if store {
            let (q, d, w, b) = match a.regs.get(inst.rs2.num()) {
                Some(h) => (h.q, h.d, h.w, h.b),
                None => {
                    a.mov(rdx, x(inst.rs2.num()))?;
                    (rdx, edx, dx, dl)
                }
            };
            match width {
                1 => a.mov(byte_ptr(rsi), b)?,
                2 => a.mov(word_ptr(rsi), w)?,
                4 => a.mov(dword_ptr(rsi), d)?,
                _ => a.mov(qword_ptr(rsi), q)?,
            }
        } else {
            // Straight into rd's host register when it has one.
            let (q, d) = match a.regs.get(inst.rd.num()) {
                Some(h) => (h.q, h.d),
                None => (rax, eax),
            };
            match (width, signed) {
                (1, true) => a.movsx(q, byte_ptr(rsi))?,
                (1, false) => a.movzx(d, byte_ptr(rsi))?,
                (2, true) => a.movsx(q, word_ptr(rsi))?,
                (2, false) => a.movzx(d, word_ptr(rsi))?,
                (4, true) => a.movsxd(q, dword_ptr(rsi))?,
                (4, false) => a.mov(d, dword_ptr(rsi))?,
                _ => a.mov(q, qword_ptr(rsi))?,
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
