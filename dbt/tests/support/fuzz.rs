//! The `interp_vs_dbt` fuzz target's input format and comparison (here, so that the tests
//! can replay what the fuzzer finds: `dbt/tests/fuzz_finds.rs`).
//!
//! The fuzzer's bytes are guest code (raw instruction parcels, valid or not: illegal ones trap)
//! on the machine of `support` (the trap handler that counts causes and steps over the
//! trapping instruction, the data region, optionally S-mode under Sv39), run by the
//! interpreter and two translators in lockstep over three budgets. Input layout:
//!
//! | bytes | meaning |
//! | --- | --- |
//! | 0 | flags: bit 0 no C, 1 Sv39 S-mode, 2 FS off, 3-4 the second translator's threshold - 1, 5 blocks of at most 3 instructions, 6 an 8 KiB code cache, 7 debug breakpoints |
//! | 1 | the code starts `2 * byte` bytes before a page boundary |
//! | 2, 3 | the first two budgets - 1 (the third is 1,000) |
//! | 4.. | the code (at most 4 KiB), followed by `wfi` in a loop |
//!
//! The registers and the data region come from a seed made of the first four bytes (a short
//! header lets libFuzzer, which starts with short inputs, reach code at once).

use ospite_dbt::DbtConfig;
use ospite_interp::StopReason;
use ospite_isa::{Csr, Ext, Extensions};

use super::*;

/// The longest program, in bytes.
pub const MAX_CODE: usize = 4096;

/// The memory compared after the first budgets (the two data pages), besides the registers;
/// at the end, every page that an engine wrote (reading guest memory is what costs most here).
const REGIONS: [(u64, u64); 1] = [(DATA, 0x2000)];

/// Excuse mismatches that come from the two known bugs: an interrupt made pending by an
/// interpreted block is taken one block late by the translator's runtime (excused when an
/// interrupt was taken or is pending and enabled); the interpreter, running decoded blocks,
/// misses its own store to cached code after a store to other bytes of the page (excused when
/// the interpreter run one instruction at a time, without blocks, agrees with the translator).
/// While they are open, such a mismatch ends the run instead of failing it.
pub const EXCUSE_KNOWN_BUGS: bool = true;

/// A machine made from fuzzer input, the translators to compare, and the budgets.
#[derive(Clone, Debug)]
pub struct FuzzCase {
    pub setup: Setup,
    pub kinds: [Kind; 2],
    pub budgets: [u64; 3],
}

impl FuzzCase {
    /// The case of fuzzer input `data`; `None` when it is too short.
    pub fn new(data: &[u8]) -> Option<FuzzCase> {
        if data.len() < 4 {
            return None;
        }
        let (head, code) = data.split_at(4);
        let code = &code[..code.len().min(MAX_CODE)];
        let flags = head[0];
        let sv39 = flags & 2 != 0;
        let ext = if flags & 1 != 0 {
            Extensions::ALL.without(Ext::C)
        } else {
            Extensions::ALL
        };
        let step = if ext.has(Ext::C) { 2 } else { 4 };
        let phys = CODE + 0x1000 - u64::from(head[1]) * 2 / step * step;
        let seed = u64::from(u32::from_le_bytes(head.try_into().unwrap()));

        let mut s = Setup::new(RAM_SIZE);
        s.ext = ext;
        s.debug_breakpoints = flags & 0x80 != 0;
        let mut image = code.to_vec();
        image.resize(image.len().next_multiple_of(4), 0);
        // wfi; j -4
        image.extend_from_slice(&0x1050_0073u32.to_le_bytes());
        image.extend_from_slice(&0xffdf_f06fu32.to_le_bytes());
        s.images.push((phys, image));
        s.images.push((DATA, bytes(seed, 0x5000)));
        s.pc = virt(phys, sv39);
        let mut rng = seed ^ 0x5851_f42d_4c95_7f2d;
        let mut next = || {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            rng ^ (rng >> 29)
        };
        for r in 1..32 {
            let v = next();
            s.x[r] = match v % 8 {
                // Mostly addresses in the data region, so that loads and stores hit memory.
                0..=3 => virt(DATA + (v >> 8) % 0x2000, sv39),
                4 => [
                    0,
                    1,
                    u64::MAX,
                    1 << 63,
                    (1 << 63) - 1,
                    0x8000_0000,
                    0xffff_ffff,
                ][(v >> 8) as usize % 7],
                5 => (v >> 8) % 64,
                _ => next(),
            };
        }
        for r in 0..32 {
            s.f[r] = next();
        }
        let fs_on = flags & 4 == 0;
        s.csrs.push((Csr::MSTATUS, if fs_on { 1 << 13 } else { 0 }));
        if fs_on {
            s.csrs.push((Csr::FCSR, next() % 0xa0));
        }
        install_env(&mut s, sv39);

        let later = Kind::Dbt(DbtConfig {
            threshold: u32::from(flags >> 3 & 3) + 1,
            max_block: if flags & 0x20 != 0 { 3 } else { 64 },
            cache_size: if flags & 0x40 != 0 { 8192 } else { 1 << 20 },
        });
        let kinds = [dbt(0), later];
        let budgets = [u64::from(head[2]) + 1, u64::from(head[3]) + 1, 1000];
        Some(FuzzCase {
            setup: s,
            kinds,
            budgets,
        })
    }

    /// Whether the interpreter stepping one instruction at a time ends the whole run in the
    /// same state as the translator `kind` (all of RAM compared).
    pub fn stepped_agrees(&self, kind: Kind) -> bool {
        let mut a = Cpu::new(&self.setup, Kind::Stepped);
        let mut b = Cpu::new(&self.setup, kind);
        self.budgets
            .iter()
            .all(|&n| a.run(n) == b.run(n) && a.hart().pc() == b.hart().pc())
            && a.snapshot(RAM_SIZE) == b.snapshot(RAM_SIZE)
    }

    /// Runs the case on the interpreter and the translators in lockstep; `Err` says what
    /// differed (mismatches that the known bugs may explain are not reported while
    /// [`EXCUSE_KNOWN_BUGS`] is on).
    pub fn compare(&self) -> Result<(), String> {
        let (s, kinds, budgets) = (&self.setup, &self.kinds, self.budgets);
        let mut oracle = Cpu::new(s, Kind::Interp);
        let mut cpus: Vec<Cpu> = kinds.iter().map(|&k| Cpu::new(s, k)).collect();
        for (k, budget) in budgets.into_iter().enumerate() {
            let want = oracle.run(budget);
            let got: Vec<StopReason> = cpus.iter_mut().map(|c| c.run(budget)).collect();
            let mut regions = REGIONS.to_vec();
            if k + 1 == budgets.len() {
                let mut pages: Vec<u64> = cpus.iter().flat_map(Cpu::dirty_pages).collect();
                pages.extend(oracle.dirty_pages());
                pages.sort_unstable();
                pages.dedup();
                regions.extend(pages.into_iter().map(|p| (p, 4096)));
            }
            let expected = oracle.snapshot_of(&regions);
            for ((cpu, kind), got) in cpus.iter().zip(kinds).zip(got) {
                let snap = cpu.snapshot_of(&regions);
                let diff = snap.diff(&expected);
                if got == want && diff.is_empty() {
                    continue;
                }
                if EXCUSE_KNOWN_BUGS && (irq(&expected) || irq(&snap) || self.stepped_agrees(*kind))
                {
                    return Ok(());
                }
                return Err(format!(
                    "{kind:?} differs from the interpreter after a run of {budget} (budgets \
                     {budgets:?}):\n  stop: {got:?} (interpreter: {want:?})\n{diff}program:\n{}",
                    listing(s)
                ));
            }
            if want == StopReason::Breakpoint {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// Whether an interrupt was taken or is pending and enabled.
fn irq(n: &Snapshot) -> bool {
    n.traps.interrupts > 0 || n.csr(Csr::MIP).unwrap_or(0) & n.csr(Csr::MIE).unwrap_or(0) != 0
}
