//! Whole-program benchmark of the translator: the interpreter's CPU-bound C guests
//! (`interp/benches/guests/*.c`, bare-metal `virt` programs) run side by side, in one run, on
//! ospite-dbt, on the interpreter, on `qemu-system-riscv64 -machine virt -bios none`, and built
//! natively for the host (`cc -O2 -DNATIVE`, output through stdio). Every engine must print the
//! same checksums. Prints guest MIPS and the ratios dbt/QEMU and dbt/native (times of QEMU and
//! native with their start-up, measured on an empty program, taken out).
//!
//! `cargo bench -p ospite-dbt --bench guests`; `OSPITE_BENCH_SCALE=N` sets the work (default
//! 20), `OSPITE_BENCH_ONLY=name,...` picks guests, `OSPITE_BENCH_RUNS=N` repeats each timing
//! and keeps the fastest (default 3; the translator, QEMU and native take turns).

#[path = "../../interp/tests/differential/board.rs"]
#[allow(dead_code)]
mod board;
#[path = "../../interp/benches/support/fastest.rs"]
mod fastest;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use board::Exit;
use fastest::{fastest, Fastest};
use ospite_dbt::{Dbt, DbtConfig};

const GUESTS: [&str; 6] = ["sha256", "quicksort", "sieve", "crc32", "matmul", "nbody"];

fn guests_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interp/benches/guests")
}

const CFLAGS: [&str; 5] = [
    "-ffp-contract=off",
    "-O2",
    "-fno-builtin",
    "-fno-tree-loop-distribute-patterns",
    "-Wno-unused-function",
];

fn build_guest(name: &str, scale: u64, dir: &Path) -> (PathBuf, Vec<u8>) {
    let src = guests_dir();
    let elf = dir.join(format!("{name}.elf"));
    let scale = format!("-DSCALE={scale}");
    let mut flags = vec!["-march=rv64gc", scale.as_str()];
    flags.extend(CFLAGS);
    let image = board::build_guest(
        &[src.join("crt.S"), src.join(format!("{name}.c"))],
        &flags,
        &elf,
    );
    (elf, image)
}

fn build_native(name: &str, scale: u64, dir: &Path) -> PathBuf {
    let out = dir.join(format!("{name}.native"));
    let status = Command::new("cc")
        .args(CFLAGS)
        .args(["-DNATIVE", &format!("-DSCALE={scale}"), "-o"])
        .arg(&out)
        .arg(guests_dir().join(format!("{name}.c")))
        .arg("-lm")
        .status()
        .expect("a host C compiler (cc)");
    assert!(status.success(), "building {name} natively failed");
    out
}

fn native(exe: &Path) -> (Vec<u8>, Duration) {
    let start = Instant::now();
    let out = Command::new(exe).output().expect("running a native guest");
    let wall = start.elapsed();
    assert!(out.status.success(), "{} failed", exe.display());
    (out.stdout, wall)
}

fn qemu(elf: &Path) -> (Vec<u8>, Duration) {
    let run = board::spawn_qemu(elf, Duration::from_secs(600)).wait();
    assert_eq!(run.status, Some(0), "{} failed under QEMU", elf.display());
    (run.output, run.wall)
}

fn dbt(image: &[u8]) -> board::Run {
    board::run_engine(image, 64 << 20, u64::MAX, |hart, map| {
        let mut cpu = Dbt::new(hart, map, DbtConfig::default()).expect("a code cache");
        cpu.interpreter_mut().set_debug_breakpoints(false);
        let stop = cpu.stop_handle();
        (cpu, stop)
    })
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let scale = env_u64("OSPITE_BENCH_SCALE", 20);
    let runs = env_u64("OSPITE_BENCH_RUNS", 3) as usize;
    let only = std::env::var("OSPITE_BENCH_ONLY").ok();
    let mut names = GUESTS.to_vec();
    if let Some(only) = &only {
        names.retain(|n| only.split(',').any(|o| o == *n));
    }
    let dir = board::scratch_dir("dbt-bench");
    let (empty_elf, _) = build_guest("empty", 1, &dir);
    let empty_native = build_native("empty", 1, &dir);
    let qemu_startup = fastest(5, || qemu(&empty_elf)).1;
    let native_startup = fastest(5, || native(&empty_native)).1;
    println!(
        "start-up (empty program, fastest of 5): QEMU {:.3} s, native {:.4} s; scale {scale}, \
         fastest of {runs} runs",
        qemu_startup.as_secs_f64(),
        native_startup.as_secs_f64()
    );
    println!(
        "{:<10} {:>13} {:>8} {:>8} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9}",
        "guest",
        "instructions",
        "dbt s",
        "interp s",
        "qemu s",
        "native s",
        "dbt MIPS",
        "qemu MIPS",
        "dbt/qemu",
        "dbt/nat"
    );
    let mut totals = [0f64; 4];
    let mut total_insts = 0u64;
    for name in names {
        let (elf, image) = build_guest(name, scale, &dir);
        let exe = build_native(name, scale, &dir);
        // The three take turns, so that a spell of noise on a shared host (seconds long, up
        // to half again on every run in it) falls on all of them rather than on one's runs.
        let (mut ours, mut on_qemu, mut on_host) = (Fastest::new(), Fastest::new(), Fastest::new());
        for _ in 0..runs.max(1) {
            let r = dbt(&image);
            let w = r.wall;
            ours.add((r, w));
            on_qemu.add(qemu(&elf));
            on_host.add(native(&exe));
        }
        let ((ours, dbt_wall), (qemu_out, qemu_wall)) = (ours.best(), on_qemu.best());
        let (native_out, native_wall) = on_host.best();
        assert_eq!(ours.exit, Exit::Pass, "{name} failed on the translator");
        let interp = board::run_ours(&image, 64 << 20, u64::MAX);
        assert_eq!(interp.exit, Exit::Pass, "{name} failed on the interpreter");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        assert_eq!(
            text(&ours.output),
            text(&interp.output),
            "{name}: dbt vs interp"
        );
        assert_eq!(text(&ours.output), text(&qemu_out), "{name}: dbt vs QEMU");
        assert_eq!(
            text(&ours.output),
            text(&native_out),
            "{name}: dbt vs native"
        );
        assert_eq!(ours.instret, interp.instret, "{name}: instret differs");
        let secs = |d: Duration| d.as_secs_f64().max(1e-4);
        let dbt_s = secs(dbt_wall);
        let qemu_s = secs(qemu_wall.saturating_sub(qemu_startup));
        let native_s = secs(native_wall.saturating_sub(native_startup));
        let interp_s = secs(interp.wall);
        let mips = |s: f64| ours.instret as f64 / s / 1e6;
        println!(
            "{:<10} {:>13} {:>8.3} {:>8.3} {:>8.3} {:>8.4} {:>9.0} {:>9.0} {:>9.2} {:>9.3}",
            name,
            ours.instret,
            dbt_s,
            interp_s,
            qemu_s,
            native_s,
            mips(dbt_s),
            mips(qemu_s),
            qemu_s / dbt_s,
            native_s / dbt_s
        );
        total_insts += ours.instret;
        for (t, s) in totals.iter_mut().zip([dbt_s, interp_s, qemu_s, native_s]) {
            *t += s;
        }
    }
    let [dbt_s, interp_s, qemu_s, native_s] = totals;
    if dbt_s > 0.0 {
        println!(
            "all: {} instructions; dbt {:.0} MIPS, interpreter {:.0} MIPS, QEMU {:.0} MIPS; \
             dbt/QEMU speed {:.2}, dbt/native speed {:.3}",
            total_insts,
            total_insts as f64 / dbt_s / 1e6,
            total_insts as f64 / interp_s / 1e6,
            total_insts as f64 / qemu_s / 1e6,
            qemu_s / dbt_s,
            native_s / dbt_s
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
