//! An instruction trace in Spike's commit-log format (`spike --log-commits`), so that a run can
//! be diffed line by line against Spike or any simulator that writes the same log.
//!
//! One line per retired instruction (an instruction that raises an exception does not retire
//! and is not logged; neither is an interrupt):
//!
//! ```text
//! core   0: 3 0x0000000080000000 (0x00000297) x5  0x0000000080000000
//! core   0: 3 0x000000008000000c (0x0082b583) x11 0x0000000000000005 mem 0x0000000080000008
//! core   0: 3 0x0000000080000008 (0x00a2b423) mem 0x0000000080000008 0x0000000000000005
//! core   0: 3 0x0000000080000010 (0x460d) x12 0x0000000000000003
//! ```
//!
//! That is: the hart id, the privilege (0 U, 1 S, 3 M), the pc, the instruction bits (4 hex
//! digits for a compressed one), then the register written (`x` or `f`, 64 bits; writes to `x0`
//! are not shown), then ` mem ADDR` per load and ` mem ADDR VALUE` per store, the value as wide
//! as the access; an AMO shows its load and its store, LR its load, a successful SC its store.
//! Addresses are virtual, as Spike prints them.
//!
//! Differences from Spike: CSR writes (Spike's `c768_mstatus 0x...`), including the `fflags`
//! an FP instruction accrues, are not shown. A successful SC is recognised by its `rd`, or when
//! `rd` is `x0`, by memory holding the stored value afterwards.
//!
//! Turned on with [`Interpreter::set_trace`](crate::Interpreter::set_trace); when off it costs
//! one test per `run` call: the run loop is compiled twice, and the untraced one has no trace
//! code.

use std::fmt::Write as _;
use std::io::{self, Write};

use ospite_isa::{Class, Inst, RegFile};
use ospite_mmu::{Bus, VirtAddr};

use crate::exec::size_of;
use crate::hart::Hart;

/// The memory access an instruction is about to make, captured before it runs (its base
/// register may be overwritten by the instruction itself).
#[derive(Clone, Copy, Debug)]
enum Access {
    None,
    Load(u64),
    /// Address, value (masked to the width), width in bytes.
    Store(u64, u64, u8),
    /// LR: a load.
    LoadReserved(u64),
    /// SC: address, value, width.
    StoreConditional(u64, u64, u8),
    /// AMO: address, width.
    Amo(u64, u8),
}

/// What the trace needs from before an instruction runs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Before {
    pc: u64,
    privilege: u8,
    access: Access,
}

fn mask(value: u64, width: u8) -> u64 {
    if width >= 8 {
        value
    } else {
        value & ((1u64 << (8 * u32::from(width))) - 1)
    }
}

impl Before {
    /// Captures the pc, privilege and memory access of `inst`, about to run on `hart`.
    pub(crate) fn capture(hart: &Hart, inst: &Inst) -> Before {
        let base = hart.xi(inst.rs1.idx());
        let ea = base.wrapping_add(inst.imm as i64 as u64);
        let access = match inst.op.class() {
            Class::Load(_, _) | Class::FpLoad(_) => Access::Load(ea),
            Class::Store(w) => Access::Store(ea, mask(hart.xi(inst.rs2.idx()), w), w),
            Class::FpStore(w) => Access::Store(ea, mask(hart.f(inst.rs2.idx()), w), w),
            Class::LoadReserved(_) => Access::LoadReserved(base),
            Class::StoreConditional(w) => {
                Access::StoreConditional(base, mask(hart.xi(inst.rs2.idx()), w), w)
            }
            Class::Amo(w) => Access::Amo(base, w),
            _ => Access::None,
        };
        Before {
            pc: hart.pc,
            privilege: hart.privilege as u8,
            access,
        }
    }
}

/// A commit-log writer.
pub(crate) struct Trace {
    out: Box<dyn Write + Send>,
    line: String,
}

impl Trace {
    pub(crate) fn new(out: Box<dyn Write + Send>) -> Trace {
        Trace {
            out,
            line: String::with_capacity(128),
        }
    }

    /// Flushes and gives back the writer.
    pub(crate) fn into_inner(mut self) -> Box<dyn Write + Send> {
        let _ = self.out.flush();
        self.out
    }

    /// Writes the line of `inst`, which has just retired on `hart`.
    pub(crate) fn commit<B: Bus + ?Sized>(
        &mut self,
        hart: &mut Hart,
        bus: &B,
        inst: &Inst,
        before: Before,
    ) -> io::Result<()> {
        let line = &mut self.line;
        line.clear();
        let bits = inst.encode().unwrap_or(0);
        let _ = write!(
            line,
            "core{:>4}: {} 0x{:016x} (",
            hart.config.hartid, before.privilege, before.pc
        );
        let _ = if inst.is_compressed() {
            write!(line, "0x{:04x})", bits & 0xffff)
        } else {
            write!(line, "0x{bits:08x})")
        };
        let rd = inst.rd.idx();
        match inst.op.info().fmt.operands().rd {
            RegFile::X if rd != 0 => {
                let _ = write!(line, " x{rd:<2} 0x{:016x}", hart.xi(rd));
            }
            RegFile::F => {
                let _ = write!(line, " f{rd:<2} 0x{:016x}", hart.f(rd));
            }
            _ => {}
        }
        let store = |line: &mut String, addr: u64, value: u64, width: u8| {
            let digits = 2 * usize::from(width);
            let _ = write!(line, " mem 0x{addr:016x} 0x{value:0digits$x}");
        };
        match before.access {
            Access::None => {}
            Access::Load(addr) | Access::LoadReserved(addr) => {
                let _ = write!(line, " mem 0x{addr:016x}");
            }
            Access::Store(addr, value, width) => store(line, addr, value, width),
            Access::StoreConditional(addr, value, width) => {
                let stored = if rd != 0 {
                    hart.xi(rd) == 0
                } else {
                    read_back(hart, bus, addr, width) == Some(value)
                };
                if stored {
                    store(line, addr, value, width);
                }
            }
            Access::Amo(addr, width) => {
                let _ = write!(line, " mem 0x{addr:016x}");
                if let Some(value) = read_back(hart, bus, addr, width) {
                    store(line, addr, value, width);
                }
            }
        }
        line.push('\n');
        self.out.write_all(line.as_bytes())
    }
}

/// Reads back what a store left in memory (through the MMU, as the instruction saw it).
fn read_back<B: Bus + ?Sized>(hart: &mut Hart, bus: &B, addr: u64, width: u8) -> Option<u64> {
    let ctx = hart.translate_ctx();
    hart.mmu
        .load(bus, &ctx, VirtAddr(addr), size_of(width))
        .ok()
        .map(|v| mask(v, width))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use ospite_isa::asm::{Assembler, MemOrder};
    use ospite_isa::XReg;
    use ospite_mmu::{GuestRam, MemoryMap, PhysAddr};

    use crate::{Engine, Hart, HartConfig, Interpreter, StopReason};

    /// A writer whose bytes the test can read afterwards.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    const RAM: u64 = 0x8000_0000;

    fn traced_run(program: &[u8], trace_on: bool) -> (String, Interpreter<MemoryMap>) {
        let ram = Arc::new(GuestRam::new(1 << 16).unwrap());
        let map = MemoryMap::builder()
            .ram("ram", PhysAddr(RAM), ram)
            .build()
            .unwrap();
        map.write_bytes(PhysAddr(RAM), program).unwrap();
        let mut hart = Hart::new(HartConfig::default());
        hart.set_pc(RAM);
        let mut cpu = Interpreter::new(hart, map);
        cpu.set_debug_breakpoints(true);
        let out = Shared::default();
        if trace_on {
            cpu.set_trace(Some(Box::new(out.clone())));
        }
        assert_eq!(cpu.run(100), StopReason::Breakpoint);
        cpu.set_trace(None);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        (text, cpu)
    }

    fn program() -> Vec<u8> {
        use XReg as X;
        let mut asm = Assembler::new(RAM);
        let skip = asm.new_label();
        asm.auipc(X::T0, 0); // t0 = pc
        asm.addi(X::A0, X::ZERO, 5);
        asm.sd(X::A0, 64, X::T0);
        asm.ld(X::A1, 64, X::T0);
        asm.c().li(X::A2, 3);
        asm.addi(X::T1, X::T0, 64);
        asm.amoadd_d(X::A3, X::A0, X::T1, MemOrder::Relaxed); // a3 = 5, mem = 10
        asm.sb(X::A2, 65, X::T0);
        asm.addi(X::ZERO, X::ZERO, 0); // writes x0: no register shown
        asm.beq(X::A0, X::A1, skip); // taken: no register, no memory
        asm.addi(X::A0, X::A0, 1);
        asm.bind(skip);
        asm.ebreak();
        asm.finish().unwrap().bytes
    }

    #[test]
    fn trace_matches_hand_derived_spike_lines() {
        let (text, _) = traced_run(&program(), true);
        let expected = "\
core   0: 3 0x0000000080000000 (0x00000297) x5  0x0000000080000000
core   0: 3 0x0000000080000004 (0x00500513) x10 0x0000000000000005
core   0: 3 0x0000000080000008 (0x04a2b023) mem 0x0000000080000040 0x0000000000000005
core   0: 3 0x000000008000000c (0x0402b583) x11 0x0000000000000005 mem 0x0000000080000040
core   0: 3 0x0000000080000010 (0x460d) x12 0x0000000000000003
core   0: 3 0x0000000080000012 (0x04028313) x6  0x0000000080000040
core   0: 3 0x0000000080000016 (0x00a336af) x13 0x0000000000000005 mem 0x0000000080000040 mem 0x0000000080000040 0x000000000000000a
core   0: 3 0x000000008000001a (0x04c280a3) mem 0x0000000080000041 0x03
core   0: 3 0x000000008000001e (0x00000013)
core   0: 3 0x0000000080000022 (0x00b50463)
";
        assert_eq!(text, expected);
    }

    #[test]
    fn trace_off_runs_the_same_program_to_the_same_state() {
        let (text, cpu) = traced_run(&program(), false);
        assert_eq!(text, "");
        assert_eq!(cpu.hart().x(XReg::A3), 5);
        assert_eq!(cpu.hart().instret(), 10);
    }
}
