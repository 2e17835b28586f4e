//! `ecall`, `ebreak`, `mret`, `sret`, `wfi` and `sfence.vma`, with the TVM, TW and TSR rules.

use ospite_isa::{Inst, Op};
use ospite_mmu::{Asid, Privilege, VirtAddr};

use super::Flow;
use crate::csr::mstatus;
use crate::hart::Hart;
use crate::trap::{Exception, ExceptionCause};

/// The exception `ecall` or `ebreak` raises (`ebreak` puts the pc in `tval`, as QEMU does).
pub(super) fn ecall_ebreak(hart: &Hart, inst: &Inst) -> Exception {
    match inst.op {
        Op::Ebreak => Exception::new(ExceptionCause::Breakpoint, hart.pc),
        _ => Exception::new(
            match hart.privilege {
                Privilege::User => ExceptionCause::EcallFromU,
                Privilege::Supervisor => ExceptionCause::EcallFromS,
                Privilege::Machine => ExceptionCause::EcallFromM,
            },
            0,
        ),
    }
}

/// `mret` (M-mode only) and `sret` (S or M; illegal in S when TSR is set). `dret` is illegal
/// outside debug mode, which this hart does not have.
pub(super) fn xret(hart: &mut Hart, inst: &Inst) -> Result<Flow, Exception> {
    let ms = hart.csr.mstatus;
    match inst.op {
        Op::Mret if hart.privilege == Privilege::Machine => {
            let mpp = Privilege::from_bits((ms & mstatus::MPP) >> mstatus::MPP_SHIFT)
                .unwrap_or(Privilege::User);
            let mut s = ms & !(mstatus::MPP | mstatus::MIE);
            if ms & mstatus::MPIE != 0 {
                s |= mstatus::MIE;
            }
            s |= mstatus::MPIE;
            if mpp != Privilege::Machine {
                s &= !mstatus::MPRV;
            }
            hart.csr.mstatus = s;
            hart.privilege = mpp;
            hart.pc = hart.csr.mepc;
        }
        Op::Sret
            if hart.privilege == Privilege::Machine
                || (hart.privilege == Privilege::Supervisor && ms & mstatus::TSR == 0) =>
        {
            let spp = if ms & mstatus::SPP != 0 {
                Privilege::Supervisor
            } else {
                Privilege::User
            };
            let mut s = ms & !(mstatus::SPP | mstatus::SIE | mstatus::MPRV);
            if ms & mstatus::SPIE != 0 {
                s |= mstatus::SIE;
            }
            s |= mstatus::SPIE;
            hart.csr.mstatus = s;
            hart.privilege = spp;
            hart.pc = hart.csr.sepc;
        }
        _ => return Err(Exception::illegal(0)),
    }
    Ok(Flow::Continue)
}

/// `wfi` is illegal in U-mode, and in S-mode when TW is set (this hart's time limit is zero).
pub(super) fn check_wfi(hart: &Hart) -> Result<(), Exception> {
    let tw = hart.csr.mstatus & mstatus::TW != 0;
    match hart.privilege {
        Privilege::User => Err(Exception::illegal(0)),
        Privilege::Supervisor if tw => Err(Exception::illegal(0)),
        _ => Ok(()),
    }
}

/// `sfence.vma rs1, rs2`: illegal in U-mode, and in S-mode when TVM is set.
pub(super) fn sfence_vma(hart: &mut Hart, inst: &Inst) -> Result<(), Exception> {
    let tvm = hart.csr.mstatus & mstatus::TVM != 0;
    match hart.privilege {
        Privilege::User => return Err(Exception::illegal(0)),
        Privilege::Supervisor if tvm => return Err(Exception::illegal(0)),
        _ => {}
    }
    let addr = (inst.rs1.idx() != 0).then(|| VirtAddr(hart.xi(inst.rs1.idx())));
    let asid = (inst.rs2.idx() != 0).then(|| Asid(hart.xi(inst.rs2.idx()) as u16));
    hart.mmu.sfence_vma(addr, asid);
    Ok(())
}
