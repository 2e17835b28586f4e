//! Whole-program benchmark: CPU-bound guest programs of our own in C (`benches/guests/*.c`),
//! built with `riscv64-unknown-elf-gcc -O2 -march=rv64gc`, run on our interpreter and on
//! `qemu-system-riscv64 -machine virt -bios none` in the same run. Prints guest instructions
//! (our `minstret`; the same ELF retires the same instructions on QEMU), wall times, guest MIPS
//! and the ratio. QEMU's time is also given with its start-up (an empty guest, median of 5)
//! taken out.
//!
//! `cargo bench -p ospite-interp --bench guests`; `OSPITE_BENCH_SCALE=N` multiplies the work
//! (default 1), `OSPITE_BENCH_ONLY=name,...` picks guests. The n-body guest (F/D) runs only when
//! the interpreter executes floating point.

#[path = "../tests/differential/board.rs"]
#[allow(dead_code)]
mod board;

use std::path::PathBuf;
use std::time::Duration;

use board::Exit;

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
        "QEMU start-up and exit (empty guest, median of 5): {:.3} s",
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
    let (mut total_insts, mut total_ours, mut total_qemu_net) = (0u64, 0f64, 0f64);
    for name in names {
        let (elf, image) = build(name, scale, &dir);
        let ours = board::run_ours(&image, 64 << 20, u64::MAX);
        assert_eq!(ours.exit, Exit::Pass, "{name} failed on our interpreter");
        let (qemu_out, qemu_wall) = qemu(&elf);
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
        total_insts += insts;
        total_ours += ours_s;
        total_qemu_net += qemu_net;
    }
    if total_ours > 0.0 {
        println!(
            "all: {} instructions, ours {:.1} MIPS, QEMU {:.1} MIPS without start-up, \
             ours/QEMU {:.3}",
            total_insts,
            total_insts as f64 / total_ours / 1e6,
            total_insts as f64 / total_qemu_net / 1e6,
            total_qemu_net / total_ours
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
