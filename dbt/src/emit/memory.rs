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
    let imm = inst.imm;
    let base = a.regs.get(inst.rs1.num()).map(|h| h.q);
    // rax and rcx = the virtual address.
    let load_address = |a: &mut Asm, r: AsmRegister64| match base {
        Some(h) if imm == 0 => a.mov(r, h),
        Some(h) => a.lea(r, qword_ptr(h + imm)),
        None => {
            super::read_x(a, r, inst.rs1.num())?;
            if imm != 0 {
                a.add(r, imm)?;
            }
            Ok(())
        }
    };
    if base.is_none() {
        // Once from the hart, kept in rsi.
        load_address(a, rsi)?;
        a.mov(rax, rsi)?;
    } else {
        load_address(a, rax)?;
    }
    // rax = the fast-table entry.
    a.shr(rax, PAGE_SHIFT - TLB_ENTRY_SIZE.trailing_zeros())?;
    a.and(eax, ((FAST_ENTRIES - 1) * TLB_ENTRY_SIZE) as i32)?;
    let table = if store {
        frame::STORE_TABLE
    } else {
        frame::LOAD_TABLE
    };
    a.add(rax, frame::slot(table))?;
    // The page and the alignment bits against the tag (flags never match).
    match base {
        None => a.mov(rcx, rsi)?,
        Some(_) => load_address(a, rcx)?,
    }
    a.and(rcx, -(1i32 << PAGE_SHIFT) | (i32::from(width) - 1))?;
    a.cmp(rcx, qword_ptr(rax + TLB_ENTRY_TAG_OFFSET as i32))?;
    a.jne(slow)?;
    let addend = qword_ptr(rax + TLB_ENTRY_ADDEND_OFFSET as i32);
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
        let at = tlb_hit_test(&mut self.a, &inst, store, width, slow)?;
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
