//! What the equivalence tests and the `interp_vs_dbt` fuzz target share: a test machine built
//! the same way for every engine, the interpreter and the translator behind one type, and a
//! lockstep runner that compares the whole architectural state and memory after every budget.
//!
//! The fuzz target includes this file with `#[path]`, so it uses only the engine crates.

#![allow(dead_code)]

pub mod fuzz;

use std::fmt::Write as _;
use std::sync::Arc;

use ospite_dbt::{Dbt, DbtConfig};
use ospite_interp::{Engine, Hart, HartConfig, Interpreter, StopReason, TrapCounts};
use ospite_isa::asm::Assembler;
use ospite_isa::{Csr, Extensions, XReg};
use ospite_mmu::{Asid, GuestRam, MemoryMap, PhysAddr, Privilege, Pte, Satp, SatpMode};

/// Where RAM starts.
pub const RAM: u64 = 0x8000_0000;
/// Bytes of RAM.
pub const RAM_SIZE: u64 = 0x30000;
/// Programs start here or a little before the next page (so that they cross it).
pub const CODE: u64 = RAM;
/// The trap handler (M-mode physical, or the S-mode one at its virtual address).
pub const HANDLER: u64 = RAM + 0x6000;
/// Where a run that ends up in M-mode under Sv39 parks (`wfi` in a loop).
pub const M_PARK: u64 = RAM + 0x7000;
/// The data region: two pages, `s0` points at the boundary between them.
pub const DATA: u64 = RAM + 0x10000;
/// The page boundary in the middle of the data region.
pub const DATA_MID: u64 = DATA + 0x1000;

/// Sv39: tables and the virtual layout (see [`sv39_images`]).
pub const ROOT: u64 = RAM + 0x20000;
pub const L1: u64 = RAM + 0x21000;
pub const L0: u64 = RAM + 0x22000;
pub const VBASE: u64 = 0x4000_0000;
/// Sv39 tables for the first page of the address space and for its last.
const LOW_L1: u64 = RAM + 0x23000;
const LOW_L0: u64 = RAM + 0x24000;
const HIGH_L1: u64 = RAM + 0x25000;
const HIGH_L0: u64 = RAM + 0x26000;

/// The trap handler's registers: it accumulates the causes in `s11`.
pub const S11: u8 = 27;
pub const T5: u8 = 30;
pub const T6: u8 = 31;

fn x(r: u8) -> XReg {
    XReg::new(r)
}

/// The trap handler for privilege `m` (M: `mepc`..., S: `sepc`...): accumulates the cause in
/// `s11`, clears the software interrupt it was entered for, or steps over the instruction
/// that trapped (2 or 4 bytes, read from the instruction's address).
pub fn handler(base: u64, machine: bool) -> Vec<u8> {
    let (cause, epc, ip) = if machine {
        (Csr::MCAUSE, Csr::MEPC, Csr::MIP)
    } else {
        (Csr::SCAUSE, Csr::SEPC, Csr::SIP)
    };
    let mut a = Assembler::new(base);
    let (irq, four) = (a.new_label(), a.new_label());
    a.csrrs(x(T6), cause, XReg::ZERO);
    a.slli(x(T5), x(S11), 5);
    a.add(x(S11), x(T5), x(T6));
    a.bltz(x(T6), irq);
    a.csrrs(x(T6), epc, XReg::ZERO);
    a.lhu(x(T5), 0, x(T6));
    a.andi(x(T5), x(T5), 3);
    a.addi(x(T6), x(T6), 2);
    a.addi(x(T5), x(T5), -3);
    a.bnez(x(T5), four);
    a.addi(x(T6), x(T6), 2);
    a.bind(four);
    a.csrrw(XReg::ZERO, epc, x(T6));
    if machine {
        a.mret();
    } else {
        a.sret();
    }
    a.bind(irq);
    a.csrrci(XReg::ZERO, ip, 2);
    if machine {
        a.mret();
    } else {
        a.sret();
    }
    a.finish().unwrap().bytes
}

/// splitmix64, for the data region's bytes.
pub fn bytes(seed: u64, n: usize) -> Vec<u8> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) as u8
        })
        .collect()
}

/// The page-table entry of a 4 KiB page at `pa` with `flags`.
pub fn leaf_pte(pa: u64, flags: u64) -> [u8; 8] {
    Pte::leaf(PhysAddr(pa), flags).0.to_le_bytes()
}

/// Sv39 tables: virtual `VBASE + 0x0000..0x8000` maps the code and handler pages (RWX, A, D);
/// `VBASE + 0x10000` and `0x11000` the data region (RW); `0x12000` RAM's next page read-only;
/// `0x13000` nothing (invalid); `0x14000` a page RW with A and D clear; `0x15000` the second
/// data page again. The first page of the address space and its last (`0xffff_ffff_ffff_f000`)
/// are the second data page too, so that pointers can walk off either end.
pub fn sv39_images() -> Vec<(u64, Vec<u8>)> {
    let rwx = Pte::R | Pte::W | Pte::X | Pte::A | Pte::D;
    let rw = Pte::R | Pte::W | Pte::A | Pte::D;
    let mut l0 = vec![0u8; 4096];
    let mut set = |vpn0: u64, pte: [u8; 8]| {
        l0[vpn0 as usize * 8..vpn0 as usize * 8 + 8].copy_from_slice(&pte);
    };
    for p in 0..8 {
        set(p, leaf_pte(RAM + p * 0x1000, rwx));
    }
    set(0x10, leaf_pte(DATA, rw));
    set(0x11, leaf_pte(DATA + 0x1000, rw));
    set(0x12, leaf_pte(DATA + 0x2000, Pte::R | Pte::A));
    set(0x14, leaf_pte(DATA + 0x4000, Pte::R | Pte::W));
    set(0x15, leaf_pte(DATA + 0x1000, rw));
    let table = |pa: u64| Pte::table(PhysAddr(pa)).0.to_le_bytes().to_vec();
    let last = 511 * 8;
    vec![
        (ROOT + (VBASE >> 30) * 8, table(L1)),
        (L1, table(L0)),
        (L0, l0),
        (ROOT, table(LOW_L1)),
        (LOW_L1, table(LOW_L0)),
        (LOW_L0, leaf_pte(DATA + 0x1000, rw).to_vec()),
        (ROOT + last, table(HIGH_L1)),
        (HIGH_L1 + last, table(HIGH_L0)),
        (HIGH_L0 + last, leaf_pte(DATA + 0x1000, rw).to_vec()),
    ]
}

/// `satp` for the tables of [`sv39_images`].
pub fn satp() -> u64 {
    Satp::new(SatpMode::Sv39, Asid(1), PhysAddr(ROOT)).0
}

/// The address programs use for physical address `pa` (RAM) in their environment.
pub fn virt(pa: u64, sv39: bool) -> u64 {
    if sv39 {
        pa - RAM + VBASE
    } else {
        pa
    }
}

/// Installs the environment programs run in: M-mode with the trap handler at [`HANDLER`]; or,
/// with `sv39`, S-mode under the tables of [`sv39_images`] with every exception and the
/// S-mode interrupts delegated to the S-mode handler (at [`HANDLER`]'s virtual address), the
/// counters enabled, and M-mode traps parked in a `wfi` loop at [`M_PARK`].
pub fn install_env(s: &mut Setup, sv39: bool) {
    if !sv39 {
        s.images.push((HANDLER, handler(HANDLER, true)));
        s.csrs.push((Csr::MTVEC, HANDLER));
        return;
    }
    let stvec = virt(HANDLER, true);
    s.images.push((HANDLER, handler(stvec, false)));
    let mut park = Assembler::new(M_PARK);
    let l = park.here();
    park.wfi();
    park.j(l);
    s.images.push((M_PARK, park.finish().unwrap().bytes));
    s.images.extend(sv39_images());
    s.csrs.extend([
        (Csr::MTVEC, M_PARK),
        (Csr::STVEC, stvec),
        (Csr::MEDELEG, 0xb3ff),
        (Csr::MIDELEG, 0x222),
        (Csr::MCOUNTEREN, 7),
        (Csr::SATP, satp()),
    ]);
    s.privilege = Privilege::Supervisor;
}

/// The program of `s` (its first image), disassembled, one instruction a line.
pub fn listing(s: &Setup) -> String {
    let (_, code) = &s.images[0];
    let virt = s.pc;
    let mut out = String::new();
    let mut off = 0;
    // The data slot's zeros at the end are not worth showing.
    let len = code.iter().rposition(|&b| b != 0).map_or(0, |i| i + 2);
    while off + 2 <= len.min(code.len()) {
        let pc = virt + off as u64;
        match ospite_isa::decode_bytes(&code[off..], s.ext) {
            Ok(i) => {
                out += &format!("  {pc:#x}  {}\n", i.display(pc));
                off += i.size() as usize;
            }
            Err(_) => {
                out += &format!(
                    "  {pc:#x}  .half {:#06x}\n",
                    u16::from_le_bytes([code[off], code[off + 1]])
                );
                off += 2;
            }
        }
    }
    out
}

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
    /// The interpreter one instruction at a time (its trace on, written nowhere): the same
    /// semantics without its decoded blocks.
    Stepped,
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
            Kind::Interp | Kind::Stepped => {
                let mut cpu = Interpreter::new(hart, map);
                cpu.set_debug_breakpoints(setup.debug_breakpoints);
                if kind == Kind::Stepped {
                    cpu.set_trace(Some(Box::new(std::io::sink())));
                }
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

    /// The physical addresses of the RAM pages written since the start (by the program, or by
    /// the loader: the images are written before the start).
    pub fn dirty_pages(&self) -> Vec<u64> {
        let region = &self.bus().ram_regions()[0];
        region
            .ram()
            .dirty_pages()
            .iter_set()
            .map(|p| region.base().0 + p * 4096)
            .collect()
    }

    /// The architectural state and all of RAM (`ram_size` bytes).
    pub fn snapshot(&self, ram_size: u64) -> Snapshot {
        self.snapshot_of(&[(RAM, ram_size)])
    }

    /// The architectural state and the memory of `regions` (address, length).
    pub fn snapshot_of(&self, regions: &[(u64, u64)]) -> Snapshot {
        let h = self.hart();
        let ram = regions
            .iter()
            .map(|&(at, len)| {
                let mut bytes = vec![0; len as usize];
                self.bus()
                    .read_bytes(PhysAddr(at), &mut bytes)
                    .expect("RAM reads");
                (at, bytes)
            })
            .collect();
        Snapshot {
            x: std::array::from_fn(|i| h.x(XReg::new(i as u8))),
            f: std::array::from_fn(|i| h.f(i)),
            pc: h.pc(),
            privilege: h.privilege(),
            instret: h.instret(),
            csrs: COMPARED_CSRS.map(|c| h.peek_csr(c)),
            reservation: format!("{:?}", h.reservation()),
            traps: h.trap_counts(),
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
    pub traps: TrapCounts,
    /// Memory regions: (address, bytes).
    pub ram: Vec<(u64, Vec<u8>)>,
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
        field(
            "traps",
            format!("{:?}", self.traps),
            format!("{:?}", expected.traps),
        );
        if self.ram == expected.ram {
            return s;
        }
        let mut shown = 0;
        for ((at, mine), (_, theirs)) in self.ram.iter().zip(&expected.ram) {
            for (i, (a, b)) in mine.iter().zip(theirs).enumerate() {
                if a != b && shown < 8 {
                    let _ = writeln!(
                        s,
                        "  memory {:#x}: {a:#04x} (interpreter: {b:#04x})",
                        at + i as u64
                    );
                    shown += 1;
                }
            }
        }
        s
    }
}

impl Snapshot {
    /// The bytes at physical address `at` (`len` of them), if the snapshot holds them.
    pub fn memory(&self, at: u64, len: usize) -> Option<&[u8]> {
        self.ram.iter().find_map(|(base, bytes)| {
            let off = usize::try_from(at.checked_sub(*base)?).ok()?;
            bytes.get(off..off + len)
        })
    }

    /// The value of `csr` if it is one of [`COMPARED_CSRS`] and readable.
    pub fn csr(&self, csr: Csr) -> Option<u64> {
        let k = COMPARED_CSRS.iter().position(|&c| c == csr)?;
        self.csrs[k]
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
