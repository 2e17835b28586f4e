//! Differential test against QEMU: random instruction sequences (RV64I, M, A, C, Zba, Zbb,
//! Zbc, Zbs, and F/D once the interpreter executes them) run as bare-metal programs under
//! `qemu-system-riscv64 -machine virt -bios none` and under our interpreter on the same board
//! layout; every sequence prints its registers and data region, and the outputs must be equal.
//!
//! `OSPITE_DIFF_SEEDS` sets how many sequences (one seed each) to run, default 2500 (about 30 s);
//! `OSPITE_DIFF_LEN` their length in instructions, default 200; `OSPITE_DIFF_SEED0` the first
//! seed. Run with `--nocapture` to see the summary.

mod differential {
    pub mod board;
    pub mod gen;
}

use std::sync::Arc;
use std::time::{Duration, Instant};

use differential::board::{self, Exit};
use differential::gen::{self, Program};
use ospite_interp::{Engine, Hart, HartConfig, Interpreter, StopReason};
use ospite_isa::Csr;
use ospite_mmu::{GuestRam, MemoryMap, PhysAddr};

/// Sequences per program (one QEMU launch).
const PER_PROGRAM: usize = 50;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| {
            let v = v.trim();
            match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => v.parse().ok(),
            }
        })
        .unwrap_or(default)
}

/// Whether our interpreter executes `fadd.d` (with `mstatus.FS` on) rather than trapping.
fn interpreter_executes_fp() -> bool {
    const RAM: u64 = 0x8000_0000;
    let ram = Arc::new(GuestRam::new(1 << 16).unwrap());
    let map = MemoryMap::builder()
        .ram("ram", PhysAddr(RAM), ram)
        .build()
        .unwrap();
    // fadd.d f1, f2, f3, rne; ebreak; and at +0x100 (mtvec) another ebreak.
    let words: [u32; 2] = [0x0231_00d3, 0x0010_0073];
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    map.write_bytes(PhysAddr(RAM), &bytes).unwrap();
    map.write_bytes(PhysAddr(RAM + 0x100), &0x0010_0073u32.to_le_bytes())
        .unwrap();
    let mut hart = Hart::new(HartConfig::default());
    hart.set_pc(RAM);
    let fs_on = hart.poke_csr(Csr::MSTATUS, 0x2000) && hart.poke_csr(Csr::MTVEC, RAM + 0x100);
    let mut cpu = Interpreter::new(hart, map);
    cpu.set_debug_breakpoints(true);
    fs_on && cpu.run(10) == StopReason::Breakpoint && cpu.hart().pc() == RAM + 4
}

/// Which register or data word line `i` of a sequence's dump names.
fn slot_name(i: usize, fp: bool) -> String {
    let data = 31 + if fp { 33 } else { 0 };
    match i {
        0..=30 => format!("x{}", i + 1),
        _ if fp && i < 31 + 32 => format!("f{}", i - 31),
        _ if fp && i == 31 + 32 => "fflags".to_string(),
        _ => format!("data[{:#x}]", (i - data) * 8),
    }
}

/// Compares one program's two outputs; returns a report per mismatching sequence.
fn compare(prog: &Program, fp: bool, ours: &[u8], qemu: &[u8]) -> Vec<String> {
    let ours = String::from_utf8_lossy(ours);
    let qemu = String::from_utf8_lossy(qemu);
    let (ours, qemu): (Vec<&str>, Vec<&str>) = (ours.lines().collect(), qemu.lines().collect());
    let per = gen::dump_words(fp);
    let mut reports = Vec::new();
    for (k, seq) in prog.seqs.iter().enumerate() {
        let range = k * per..(k + 1) * per;
        let o = ours.get(range.clone()).unwrap_or_default();
        let q = qemu.get(range).unwrap_or_default();
        if o == q {
            continue;
        }
        let mut report = format!("sequence seed {:#x} (#{k} of its program):\n", seq.seed);
        if o.len() != q.len() || o.contains(&"TRAP") || q.contains(&"TRAP") {
            report.push_str(&format!(
                "  output differs in shape: ours {} lines, qemu {} lines (a trap prints TRAP, \
                 mcause, mepc, mtval)\n  ours: {:?}\n  qemu: {:?}\n",
                o.len(),
                q.len(),
                &ours[(k * per).min(ours.len())..(k * per + 8).min(ours.len())],
                &qemu[(k * per).min(qemu.len())..(k * per + 8).min(qemu.len())],
            ));
        } else {
            for (i, (a, b)) in o.iter().zip(q).enumerate() {
                if a != b {
                    report.push_str(&format!("  {}: ours {a}, qemu {b}\n", slot_name(i, fp)));
                }
            }
        }
        report.push_str("  instructions:\n");
        for l in &seq.lines {
            report.push_str(&format!("    {l}\n"));
        }
        reports.push(report);
    }
    if reports.is_empty() && ours != qemu {
        reports.push(format!(
            "outputs differ outside the sequences: ours {} lines, qemu {} lines; tail ours {:?}, \
             qemu {:?}",
            ours.len(),
            qemu.len(),
            ours.iter().rev().take(5).collect::<Vec<_>>(),
            qemu.iter().rev().take(5).collect::<Vec<_>>()
        ));
    }
    reports
}

#[test]
fn random_sequences_match_qemu() {
    let seeds = env_u64("OSPITE_DIFF_SEEDS", 2500) as usize;
    let len = env_u64("OSPITE_DIFF_LEN", 200) as usize;
    let seed0 = env_u64("OSPITE_DIFF_SEED0", 0x05b1_7e00_0000);
    let executes_fp = interpreter_executes_fp();
    // OSPITE_DIFF_FP=0 or 1 overrides the detection (1 with an interpreter that traps on FP
    // checks the generator against QEMU alone: QEMU passes, our run reports the trap).
    let fp = match std::env::var("OSPITE_DIFF_FP").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => executes_fp,
    };
    eprintln!(
        "differential: F/D {} (the interpreter {} fadd.d)",
        if fp { "included" } else { "left out" },
        if executes_fp { "executes" } else { "traps on" }
    );
    let dir = board::scratch_dir("differential");
    let start = Instant::now();
    let (mut programs, mut total_insts) = (0, 0);
    let (mut retired, mut ours_wall, mut qemu_wall) = (0, Duration::ZERO, Duration::ZERO);
    let mut reports = Vec::new();
    let all: Vec<u64> = (0..seeds as u64).map(|i| seed0 + i).collect();
    for chunk in all.chunks(PER_PROGRAM) {
        let prog = gen::program(chunk, fp, len);
        let src = dir.join(format!("p{programs}.S"));
        std::fs::write(&src, &prog.asm).unwrap();
        let elf = dir.join(format!("p{programs}.elf"));
        let image = board::build_guest(&[src], &["-march=rv64gc_zba_zbb_zbc_zbs"], &elf);
        let qemu = board::spawn_qemu(&elf, Duration::from_secs(60));
        let ours = board::run_ours(&image, 1 << 20, 200_000_000);
        let qemu = qemu.wait();
        assert_eq!(qemu.status, Some(0), "QEMU did not pass {}", elf.display());
        let mut r = compare(&prog, fp, &ours.output, &qemu.output);
        if ours.exit != Exit::Pass {
            r.push(format!("{}: our run ended {:?}", elf.display(), ours.exit));
        }
        if !r.is_empty() {
            eprintln!("{}: {} mismatching sequences", elf.display(), r.len());
        }
        reports.extend(r);
        programs += 1;
        retired += ours.instret;
        ours_wall += ours.wall;
        qemu_wall += qemu.wall;
        total_insts += prog.seqs.iter().map(|s| s.insts).sum::<usize>();
    }
    eprintln!(
        "differential: {seeds} seeds (sequences) from {seed0:#x}, {total_insts} random \
         instructions ({retired} retired with set-up and dumps), {programs} QEMU launches, \
         {:.1} s (ours {:.1} s, QEMU {:.1} s), {} mismatching sequences",
        start.elapsed().as_secs_f64(),
        ours_wall.as_secs_f64(),
        qemu_wall.as_secs_f64(),
        reports.len()
    );
    if reports.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        reports.is_empty(),
        "{} sequences differ from QEMU:\n{}",
        reports.len(),
        reports.join("\n")
    );
}
