//! Whole-program benchmark: CPU-bound guest programs of our own in C (`benches/guests/*.c`),
//! built with `riscv64-unknown-elf-gcc -O2 -march=rv64gc`, run on our interpreter and on
//! `qemu-system-riscv64 -machine virt -bios none` in the same run. Prints guest instructions
//! (our `minstret`; the same ELF retires the same instructions on QEMU), wall times, guest MIPS
//! and the ratio. QEMU's time is also given with its start-up (an empty guest, median of 5)
//! taken out.
//!
//! `cargo bench -p ospite-interp --bench guests`; `OSPITE_BENCH_SCALE=N` multiplies the work
//! (default 1), `OSPITE_BENCH_ONLY=name,...` picks guests, `OSPITE_BENCH_RUNS=N` times each
//! guest N times on each (taking turns) and keeps the fastest (default 3). The n-body guest
//! (F/D) runs only when the interpreter executes floating point. The last lines sum up the
//! integer guests (the goal is in integer MIPS) and all of them.

#[path = "../tests/differential/board.rs"]
#[allow(dead_code)]
mod board;
#[path = "support/fastest.rs"]
#[allow(dead_code)]
mod fastest;

use std::path::PathBuf;
use std::time::Duration;

use board::Exit;
use fastest::Fastest;

const INT_GUESTS: [&str; 5] = ["sha256", "quicksort", "sieve", "crc32", "matmul"];

fn guests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("benches")
        .join("guests")
}

fn build(name: &str, scale: u64, dir: &std::path::Path) -> (PathBuf, Vec<u8>) {
    let src = guests_dir();
    let elf = dir.join(format!("{name}.elf"));
    let scale = format!("-DSCALE={scale}");
    let image = board::build_guest(
        &[src.join("crt.S"), src.join(format!("{name}.c"))],
        &[
            "-O2",
            "-march=rv64gc",
            "-fno-builtin",
            "-fno-tree-loop-distribute-patterns",
            "-Wno-unused-function",
            &scale,
        ],
        &elf,
    );
    (elf, image)
}

fn qemu(elf: &std::path::Path) -> (Vec<u8>, Duration) {
    let run = board::spawn_qemu(elf, Duration::from_secs(600)).wait();
    assert_eq!(run.status, Some(0), "{} failed under QEMU", elf.display());
    (run.output, run.wall)
}

/// Instructions and seconds, ours and QEMU's without its start-up, summed over guests.
#[derive(Default)]
struct Total {
    insts: u64,
    ours: f64,
    qemu_net: f64,
}

impl Total {
    fn add(&mut self, insts: u64, ours: f64, qemu_net: f64) {
        self.insts += insts;
        self.ours += ours;
        self.qemu_net += qemu_net;
    }

    fn print(&self, what: &str) {
        if self.ours > 0.0 {
            println!(
                "{what}: {} instructions, ours {:.1} MIPS, QEMU {:.1} MIPS without start-up, \
                 ours/QEMU {:.3}",
                self.insts,
                self.insts as f64 / self.ours / 1e6,
                self.insts as f64 / self.qemu_net / 1e6,
                self.qemu_net / self.ours
            );
        }
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn fp_executes() -> bool {
    // The same probe as the differential test, through a real guest: nbody at scale 0 runs
    // only its energy computation.
    let dir = board::scratch_dir("bench-probe");
    let (_, image) = build("nbody", 0, &dir);
    let run = board::run_ours(&image, 16 << 20, 10_000_000);
    let _ = std::fs::remove_dir_all(&dir);
    run.exit == Exit::Pass
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let scale: u64 = std::env::var("OSPITE_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let runs: usize = std::env::var("OSPITE_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let only = std::env::var("OSPITE_BENCH_ONLY").ok();
    let fp = fp_executes();
    let mut names: Vec<&str> = INT_GUESTS.to_vec();
    if fp {
        names.push("nbody");
    } else {
        println!("nbody left out: the interpreter does not execute F/D yet");
    }
    if let Some(only) = &only {
        names.retain(|n| only.split(',').any(|o| o == *n));
    }
    let dir = board::scratch_dir("bench");
    let (empty_elf, _) = build("empty", 1, &dir);
    let startup = median((0..5).map(|_| qemu(&empty_elf).1).collect());
    println!(
        "QEMU start-up and exit (empty guest, median of 5): {:.3} s; scale {scale}, fastest of \
         {runs} runs",
        startup.as_secs_f64()
    );
    println!(
        "{:<10} {:>13} {:>9} {:>9} {:>9} {:>10} {:>12} {:>9}",
        "guest",
        "instructions",
        "ours s",
        "ours MIPS",
        "qemu s",
        "qemu MIPS",
        "qemu-net MIPS",
        "ours/qemu"
    );
    let (mut integer, mut all) = (Total::default(), Total::default());
    for name in names {
        let (elf, image) = build(name, scale, &dir);
        let (mut ours, mut on_qemu) = (Fastest::new(), Fastest::new());
        for _ in 0..runs.max(1) {
            let run = board::run_ours(&image, 64 << 20, u64::MAX);
            assert_eq!(run.exit, Exit::Pass, "{name} failed on our interpreter");
            let wall = run.wall;
            ours.add((run, wall));
            on_qemu.add(qemu(&elf));
        }
        let (ours, _) = ours.best();
        let (qemu_out, qemu_wall) = on_qemu.best();
        assert_eq!(
            String::from_utf8_lossy(&ours.output),
            String::from_utf8_lossy(&qemu_out),
            "{name}: the guest printed something else on QEMU"
        );
        let insts = ours.instret;
        let ours_s = ours.wall.as_secs_f64();
        let qemu_s = qemu_wall.as_secs_f64();
        let qemu_net = (qemu_wall.saturating_sub(startup)).as_secs_f64().max(1e-4);
        let mips = |s: f64| insts as f64 / s / 1e6;
        println!(
            "{:<10} {:>13} {:>9.3} {:>9.1} {:>9.3} {:>10.1} {:>12.1} {:>9.3}",
            name,
            insts,
            ours_s,
            mips(ours_s),
            qemu_s,
            mips(qemu_s),
            mips(qemu_net),
            qemu_s / ours_s
        );
        if INT_GUESTS.contains(&name) {
            integer.add(insts, ours_s, qemu_net);
        }
        all.add(insts, ours_s, qemu_net);
    }
    integer.print("integer guests");
    all.print("all");
    let _ = std::fs::remove_dir_all(&dir);
}
