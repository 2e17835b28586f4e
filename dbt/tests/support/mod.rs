//! What the equivalence tests and the `interp_vs_dbt` fuzz target share: a test machine built
//! the same way for every engine, the interpreter and the translator behind one type, and a
//! lockstep runner that compares the whole architectural state and memory after every budget.
//!
//! The fuzz target includes this file with `#[path]`, so it uses only the engine crates.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::sync::Arc;

use ospite_dbt::{Dbt, DbtConfig};
use ospite_interp::{Engine, Hart, HartConfig, Interpreter, StopReason};
use ospite_isa::{Csr, Extensions, XReg};
use ospite_mmu::{GuestRam, MemoryMap, PhysAddr, Privilege};

/// Where RAM starts.
pub const RAM: u64 = 0x8000_0000;

/// The CSRs compared after every run (besides the x and f registers, pc, privilege and
/// `instret`, which the snapshot holds directly).
pub const COMPARED_CSRS: [Csr; 24] = [
    Csr::MSTATUS,
    Csr::MCAUSE,
    Csr::MEPC,
    Csr::MTVAL,
    Csr::MSCRATCH,
    Csr::MTVEC,
    Csr::MIE,
    Csr::MIP,
    Csr::MEDELEG,
    Csr::MIDELEG,
    Csr::MINSTRET,
    Csr::MCYCLE,
    Csr::MCOUNTINHIBIT,
    Csr::MCOUNTEREN,
    Csr::FCSR,
    Csr::SATP,
    Csr::SCAUSE,
    Csr::SEPC,
    Csr::STVAL,
    Csr::SSCRATCH,
    Csr::STVEC,
    Csr::SCOUNTEREN,
    Csr::MENVCFG,
    Csr::STIMECMP,
];

/// Everything a machine starts from; each engine gets its own copy of the memory.
#[derive(Clone, Debug)]
pub struct Setup {
    /// Bytes of RAM at [`RAM`].
    pub ram_size: u64,
    /// Bytes written to RAM before the start: (physical address, bytes).
    pub images: Vec<(u64, Vec<u8>)>,
    /// The extensions the hart has.
    pub ext: Extensions,
    /// Initial x registers (`x[0]` is ignored).
    pub x: [u64; 32],
    /// Initial f registers (raw bits).
    pub f: [u64; 32],
    /// The start pc.
    pub pc: u64,
    /// The start privilege.
    pub privilege: Privilege,
    /// CSRs written before the start, in order (with `poke_csr`).
    pub csrs: Vec<(Csr, u64)>,
    /// Whether `ebreak` stops the engine.
    pub debug_breakpoints: bool,
}

impl Setup {
    /// An M-mode machine with `ram_size` bytes of RAM, at pc `RAM`, registers zero.
    pub fn new(ram_size: u64) -> Setup {
        Setup {
            ram_size,
            images: Vec::new(),
            ext: Extensions::ALL,
            x: [0; 32],
            f: [0; 32],
            pc: RAM,
            privilege: Privilege::Machine,
            csrs: Vec::new(),
            debug_breakpoints: false,
        }
    }
}

/// Which engine runs a machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The interpreter, the oracle.
    Interp,
    /// The translator with this configuration.
    Dbt(DbtConfig),
}

/// A translator configuration for tests: threshold `threshold`, a small code cache.
pub fn dbt(threshold: u32) -> Kind {
    Kind::Dbt(DbtConfig {
        threshold,
        cache_size: 1 << 20,
        ..DbtConfig::default()
    })
}

/// A machine run by one engine.
pub enum Cpu {
    /// The interpreter.
    Interp(Box<Interpreter<Arc<MemoryMap>>>),
    /// The translator.
    Dbt(Box<Dbt<Arc<MemoryMap>>>),
}

impl Cpu {
    /// Builds the machine of `setup` for engine `kind`.
    pub fn new(setup: &Setup, kind: Kind) -> Cpu {
        let ram = Arc::new(GuestRam::new(setup.ram_size).expect("guest RAM"));
        let map = Arc::new(
            MemoryMap::builder()
                .ram("ram", PhysAddr(RAM), ram)
                .build()
                .expect("memory map"),
        );
        for (at, bytes) in &setup.images {
            map.write_bytes(PhysAddr(*at), bytes)
                .expect("images lie in RAM");
        }
        let mut hart = Hart::new(HartConfig {
            extensions: setup.ext,
            ..HartConfig::default()
        });
        for (i, &v) in setup.x.iter().enumerate().skip(1) {
            hart.set_x(XReg::new(i as u8), v);
        }
        for (i, &v) in setup.f.iter().enumerate() {
            hart.set_f(i, v);
        }
        for &(csr, v) in &setup.csrs {
            assert!(hart.poke_csr(csr, v), "cannot set {csr:?}");
        }
        hart.set_pc(setup.pc);
        hart.set_privilege(setup.privilege);
        match kind {
            Kind::Interp => {
                let mut cpu = Interpreter::new(hart, map);
                cpu.set_debug_breakpoints(setup.debug_breakpoints);
                Cpu::Interp(Box::new(cpu))
            }
            Kind::Dbt(config) => {
                let mut cpu = Dbt::new(hart, map, config).expect("translator");
                cpu.interpreter_mut()
                    .set_debug_breakpoints(setup.debug_breakpoints);
                Cpu::Dbt(Box::new(cpu))
            }
        }
    }

    /// Runs for `budget` instructions.
    pub fn run(&mut self, budget: u64) -> StopReason {
        match self {
            Cpu::Interp(c) => c.run(budget),
            Cpu::Dbt(c) => c.run(budget),
        }
    }

    /// The hart.
    pub fn hart(&self) -> &Hart {
        match self {
            Cpu::Interp(c) => c.hart(),
            Cpu::Dbt(c) => c.hart(),
        }
    }

    /// The memory.
    pub fn bus(&self) -> &MemoryMap {
        match self {
            Cpu::Interp(c) => c.bus(),
            Cpu::Dbt(c) => c.bus(),
        }
    }

    /// The architectural state and all of RAM.
    pub fn snapshot(&self, ram_size: u64) -> Snapshot {
        let h = self.hart();
        let mut ram = vec![0; ram_size as usize];
        self.bus()
            .read_bytes(PhysAddr(RAM), &mut ram)
            .expect("RAM reads");
        Snapshot {
            x: std::array::from_fn(|i| h.x(XReg::new(i as u8))),
            f: std::array::from_fn(|i| h.f(i)),
            pc: h.pc(),
            privilege: h.privilege(),
            instret: h.instret(),
            csrs: COMPARED_CSRS.map(|c| h.peek_csr(c)),
            reservation: format!("{:?}", h.reservation()),
            traps: format!("{:?}", h.trap_counts()),
            ram,
        }
    }
}

/// A machine's state, as compared between engines.
#[derive(Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub x: [u64; 32],
    pub f: [u64; 32],
    pub pc: u64,
    pub privilege: Privilege,
    pub instret: u64,
    pub csrs: [Option<u64>; COMPARED_CSRS.len()],
    pub reservation: String,
    pub traps: String,
    pub ram: Vec<u8>,
}

impl Snapshot {
    /// The differences from `expected`, one per line (empty when equal).
    pub fn diff(&self, expected: &Snapshot) -> String {
        let mut s = String::new();
        let mut field = |name: &str, got: String, want: String| {
            if got != want {
                let _ = writeln!(s, "  {name}: {got} (interpreter: {want})");
            }
        };
        field(
            "pc",
            format!("{:#x}", self.pc),
            format!("{:#x}", expected.pc),
        );
        field(
            "privilege",
            format!("{:?}", self.privilege),
            format!("{:?}", expected.privilege),
        );
        field(
            "instret",
            self.instret.to_string(),
            expected.instret.to_string(),
        );
        for i in 0..32 {
            field(
                &format!("x{i}"),
                format!("{:#x}", self.x[i]),
                format!("{:#x}", expected.x[i]),
            );
            field(
                &format!("f{i}"),
                format!("{:#x}", self.f[i]),
                format!("{:#x}", expected.f[i]),
            );
        }
        for (k, c) in COMPARED_CSRS.iter().enumerate() {
            field(
                &format!("csr {:#05x}", c.0),
                format!("{:x?}", self.csrs[k]),
                format!("{:x?}", expected.csrs[k]),
            );
        }
        field(
            "reservation",
            self.reservation.clone(),
            expected.reservation.clone(),
        );
        field("traps", self.traps.clone(), expected.traps.clone());
        let mut shown = 0;
        for (i, (a, b)) in self.ram.iter().zip(&expected.ram).enumerate() {
            if a != b && shown < 8 {
                let _ = writeln!(
                    s,
                    "  memory {:#x}: {a:#04x} (interpreter: {b:#04x})",
                    RAM + i as u64
                );
                shown += 1;
            }
        }
        s
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("pc", &format_args!("{:#x}", self.pc))
            .field("privilege", &self.privilege)
            .field("instret", &self.instret)
            .field("x", &self.x)
            .finish_non_exhaustive()
    }
}

/// Runs `setup` on the interpreter and on every engine of `others`, `budgets` one after the
/// other, comparing the stop reason, the state and all of RAM after each; stops after the
/// first budget that ends in a breakpoint. Returns the stop reasons, or what differed.
pub fn lockstep(
    setup: &Setup,
    others: &[Kind],
    budgets: &[u64],
) -> Result<Vec<StopReason>, String> {
    let mut oracle = Cpu::new(setup, Kind::Interp);
    let mut cpus: Vec<Cpu> = others.iter().map(|&k| Cpu::new(setup, k)).collect();
    let mut reasons = Vec::new();
    for (step, &budget) in budgets.iter().enumerate() {
        let want = oracle.run(budget);
        let expected = oracle.snapshot(setup.ram_size);
        for (cpu, kind) in cpus.iter_mut().zip(others) {
            let got = cpu.run(budget);
            let diff = cpu.snapshot(setup.ram_size).diff(&expected);
            if got != want || !diff.is_empty() {
                return Err(format!(
                    "{kind:?} differs from the interpreter after run #{step} ({budget} of \
                     budgets {budgets:?}):\n  stop: {got:?} (interpreter: {want:?})\n{diff}"
                ));
            }
        }
        reasons.push(want);
        if want == StopReason::Breakpoint {
            break;
        }
    }
    Ok(reasons)
}
