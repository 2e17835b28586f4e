//! The facts both engines read from an instruction: registers read and written, memory access,
//! whether it ends a block, whether it can trap. Instructions come from the assembler and are
//! decoded back, as an engine would see them.

use ospite_isa::asm::{Assembler, MemOrder};
use ospite_isa::{decode_bytes, Csr, Extensions, FReg, Inst, MemAccess, MemKind, RegSet, Rm, XReg};

use XReg as X;

/// The one instruction `build` assembles, decoded back.
fn inst(build: impl FnOnce(&mut Assembler)) -> Inst {
    let mut asm = Assembler::new(0x8000_0000);
    build(&mut asm);
    let program = asm.finish().unwrap();
    let inst = decode_bytes(&program.bytes, Extensions::ALL).unwrap();
    assert_eq!(inst.size() as usize, program.bytes.len());
    inst
}

fn xs(regs: &[XReg]) -> RegSet {
    RegSet {
        x: regs.iter().fold(0, |set, r| set | 1 << r.num()),
        f: 0,
    }
}

fn fs(regs: &[FReg]) -> RegSet {
    RegSet {
        x: 0,
        f: regs.iter().fold(0, |set, r| set | 1 << r.num()),
    }
}

fn mem(kind: MemKind, width: u8, signed: bool) -> Option<MemAccess> {
    Some(MemAccess {
        kind,
        width,
        signed,
    })
}

#[test]
fn add_reads_both_sources_and_writes_rd() {
    let add = inst(|a| a.add(X::A0, X::A1, X::A2));
    assert_eq!(add.reads(), xs(&[X::A1, X::A2]));
    assert_eq!(add.writes(), xs(&[X::A0]));
}

#[test]
fn x0_is_never_read_or_written() {
    let nop = inst(|a| a.nop());
    assert!(nop.reads().is_empty());
    assert!(nop.writes().is_empty());
    let li = inst(|a| a.li(X::T0, 5));
    assert_eq!(li.reads(), RegSet::default());
    assert_eq!(li.writes(), xs(&[X::T0]));
}

#[test]
fn a_compressed_instruction_has_the_facts_of_its_expansion() {
    let c_add = inst(|a| a.c().add(X::A0, X::A0, X::A1));
    assert!(c_add.is_compressed());
    assert_eq!(c_add.reads(), xs(&[X::A0, X::A1]));
    assert_eq!(c_add.writes(), xs(&[X::A0]));
    let c_ldsp = inst(|a| a.c().ld(X::A0, 8, X::SP));
    assert_eq!(c_ldsp.reads(), xs(&[X::SP]));
    assert_eq!(c_ldsp.mem_access(), mem(MemKind::Load, 8, true));
}

#[test]
fn a_store_reads_base_and_data_and_writes_no_register() {
    let sd = inst(|a| a.sd(X::RA, 8, X::SP));
    assert_eq!(sd.reads(), xs(&[X::SP, X::RA]));
    assert!(sd.writes().is_empty());
}

#[test]
fn floating_point_operands_land_in_the_f_set() {
    let fmadd = inst(|a| a.fmadd_d(FReg::FA0, FReg::FA1, FReg::FA2, FReg::FA3));
    assert_eq!(fmadd.reads(), fs(&[FReg::FA1, FReg::FA2, FReg::FA3]));
    assert_eq!(fmadd.writes(), fs(&[FReg::FA0]));
    let fcvt = inst(|a| a.fcvt_l_d(X::A0, FReg::FT0, Rm::Rtz));
    assert_eq!(fcvt.reads(), fs(&[FReg::FT0]));
    assert_eq!(fcvt.writes(), xs(&[X::A0]));
    let fsd = inst(|a| a.fsd(FReg::FS0, 16, X::SP));
    let base_and_data = RegSet {
        x: xs(&[X::SP]).x,
        f: fs(&[FReg::FS0]).f,
    };
    assert_eq!(fsd.reads(), base_and_data);
    assert!(fsd.writes().is_empty());
}

#[test]
fn branches_read_and_jumps_write_the_link() {
    let (beq, jal) = {
        let mut asm = Assembler::new(0);
        let here = asm.here();
        asm.beq(X::A0, X::A1, here);
        asm.jal(X::RA, here);
        let program = asm.finish().unwrap();
        let beq = decode_bytes(&program.bytes, Extensions::ALL).unwrap();
        let jal = decode_bytes(&program.bytes[4..], Extensions::ALL).unwrap();
        (beq, jal)
    };
    assert_eq!(beq.reads(), xs(&[X::A0, X::A1]));
    assert!(beq.writes().is_empty());
    assert!(jal.reads().is_empty());
    assert_eq!(jal.writes(), xs(&[X::RA]));
    let ret = inst(|a| a.ret());
    assert_eq!(ret.reads(), xs(&[X::RA]));
    assert!(ret.writes().is_empty());
}

#[test]
fn loads_have_their_width_and_signedness() {
    assert_eq!(
        inst(|a| a.lw(X::A0, 0, X::A1)).mem_access(),
        mem(MemKind::Load, 4, true)
    );
    assert_eq!(
        inst(|a| a.lbu(X::A0, 0, X::A1)).mem_access(),
        mem(MemKind::Load, 1, false)
    );
    assert_eq!(
        inst(|a| a.lwu(X::A0, 0, X::A1)).mem_access(),
        mem(MemKind::Load, 4, false)
    );
    assert_eq!(
        inst(|a| a.fld(FReg::FA0, 0, X::A1)).mem_access(),
        mem(MemKind::FpLoad, 8, false)
    );
}

#[test]
fn stores_have_their_width_and_only_write_memory() {
    let sh = inst(|a| a.sh(X::A0, 0, X::A1)).mem_access().unwrap();
    assert_eq!(sh, mem(MemKind::Store, 2, false).unwrap());
    assert!(sh.writes() && !sh.reads());
    let fsw = inst(|a| a.fsw(FReg::FA0, 0, X::A1)).mem_access().unwrap();
    assert_eq!(fsw, mem(MemKind::FpStore, 4, false).unwrap());
}

#[test]
fn atomics_read_and_write_memory_and_sign_extend() {
    let lr = inst(|a| a.lr_w(X::A0, X::A1, MemOrder::Acquire));
    assert_eq!(lr.mem_access(), mem(MemKind::LoadReserved, 4, true));
    assert!(lr.mem_access().unwrap().reads() && !lr.mem_access().unwrap().writes());
    let sc = inst(|a| a.sc_d(X::A0, X::A2, X::A1, MemOrder::Release));
    assert_eq!(sc.mem_access(), mem(MemKind::StoreConditional, 8, false));
    assert_eq!(sc.reads(), xs(&[X::A1, X::A2]));
    assert_eq!(sc.writes(), xs(&[X::A0]));
    let amo = inst(|a| a.amoadd_w(X::A0, X::A2, X::A1, MemOrder::Relaxed));
    let access = amo.mem_access().unwrap();
    assert_eq!(access, mem(MemKind::Amo, 4, true).unwrap());
    assert!(access.reads() && access.writes());
}

#[test]
fn arithmetic_touches_no_memory() {
    assert_eq!(inst(|a| a.add(X::A0, X::A1, X::A2)).mem_access(), None);
    assert_eq!(inst(|a| a.fence(0b1111, 0b1111)).mem_access(), None);
}

#[test]
fn control_transfers_and_system_instructions_end_a_block() {
    let mut asm = Assembler::new(0);
    let here = asm.here();
    asm.bne(X::A0, X::A1, here);
    asm.j(here);
    let program = asm.finish().unwrap();
    let bne = decode_bytes(&program.bytes, Extensions::ALL).unwrap();
    let jal = decode_bytes(&program.bytes[4..], Extensions::ALL).unwrap();
    assert!(bne.ends_block());
    assert!(jal.ends_block());
    assert!(inst(|a| a.ret()).ends_block());
    assert!(inst(|a| a.ecall()).ends_block());
    assert!(inst(|a| a.mret()).ends_block());
    assert!(inst(|a| a.wfi()).ends_block());
    assert!(inst(|a| a.sfence_vma(X::ZERO, X::ZERO)).ends_block());
    assert!(inst(|a| a.csrw(Csr::SATP, X::A0)).ends_block());
    assert!(inst(|a| a.fence_i()).ends_block());
}

#[test]
fn straight_line_instructions_do_not_end_a_block() {
    assert!(!inst(|a| a.add(X::A0, X::A1, X::A2)).ends_block());
    assert!(!inst(|a| a.ld(X::A0, 0, X::A1)).ends_block());
    assert!(!inst(|a| a.fence(0b0011, 0b0011)).ends_block());
    assert!(!inst(|a| a.fadd_d(FReg::FA0, FReg::FA1, FReg::FA2)).ends_block());
}

#[test]
fn integer_arithmetic_upper_immediates_and_fences_cannot_trap() {
    assert!(!inst(|a| a.add(X::A0, X::A1, X::A2)).can_trap());
    // Division by zero gives a value in RISC-V, not a trap.
    assert!(!inst(|a| a.div(X::A0, X::A1, X::A2)).can_trap());
    assert!(!inst(|a| a.lui(X::A0, 1)).can_trap());
    assert!(!inst(|a| a.auipc(X::A0, 1)).can_trap());
    assert!(!inst(|a| a.fence(0b0011, 0b0011)).can_trap());
}

#[test]
fn memory_control_system_and_floating_point_can_trap() {
    assert!(inst(|a| a.lw(X::A0, 0, X::A1)).can_trap());
    assert!(inst(|a| a.sd(X::A0, 0, X::A1)).can_trap());
    assert!(inst(|a| a.amoswap_d(X::A0, X::A1, X::A2, MemOrder::AcqRel)).can_trap());
    assert!(inst(|a| a.jalr(X::RA, 0, X::A0)).can_trap());
    assert!(inst(|a| a.ecall()).can_trap());
    assert!(inst(|a| a.csrr(X::A0, Csr::MSTATUS)).can_trap());
    assert!(inst(|a| a.fadd_s(FReg::FA0, FReg::FA1, FReg::FA2)).can_trap());
}
