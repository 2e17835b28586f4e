//! Zicsr: `csrrw`, `csrrs`, `csrrc` and their immediate forms.

use ospite_isa::{Inst, Op};

use crate::hart::Hart;
use crate::trap::Exception;

/// Executes a CSR instruction. `csrrw` with `rd = x0` does not read, and `csrrs`/`csrrc`
/// with `rs1 = x0` (or a zero `uimm`) do not write, so they may touch read-only CSRs.
pub(super) fn csr(hart: &mut Hart, inst: &Inst) -> Result<(), Exception> {
    let src = match inst.op {
        Op::Csrrwi | Op::Csrrsi | Op::Csrrci => inst.imm as u64 & 31,
        _ => hart.xi(inst.rs1.idx()),
    };
    let writes = match inst.op {
        Op::Csrrw | Op::Csrrwi => true,
        _ => match inst.op {
            Op::Csrrsi | Op::Csrrci => inst.imm & 31 != 0,
            _ => inst.rs1.idx() != 0,
        },
    };
    let csr = inst.csr;
    hart.check_csr_access(csr, writes)?;
    let old = hart.read_csr_value(csr)?;
    if writes {
        let new = match inst.op {
            Op::Csrrw | Op::Csrrwi => src,
            Op::Csrrs | Op::Csrrsi => old | src,
            _ => old & !src,
        };
        hart.write_csr_value(csr, new)?;
        if (0x001..=0x003).contains(&csr.0) {
            hart.set_fs_dirty();
        }
    }
    hart.set_xi(inst.rd.idx(), old);
    Ok(())
}
