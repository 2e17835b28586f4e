//! A bare-metal C program built here with picolibc (`tests/data/picolibc_hello.c`: integer and
//! floating-point `printf` on the UART, exit status 7 through the SiFive test device), run with
//! `--bios none` on ospite and on `qemu-system-riscv64 -machine virt`: the same console text and
//! the same exit status.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ospite_vmm::{run_one, Console, ExitReason, Firmware, VmConfig};
use support::*;

const OSPITE: &str = env!("CARGO_BIN_EXE_ospite");

/// The flags FACTS.md gives for picolibc on QEMU virt: code at 0x8000_0000, data 2 MiB above.
const PICOLIBC_FLAGS: [&str; 7] = [
    "-march=rv64gc",
    "-mabi=lp64d",
    "-mcmodel=medany",
    "-O2",
    "--specs=picolibc.specs",
    "--crt0=hosted",
    "-Wl,--defsym=__flash=0x80000000,--defsym=__flash_size=0x200000,\
     --defsym=__ram=0x80200000,--defsym=__ram_size=0x200000",
];

/// Compiles and links `tests/data/{name}.c` with picolibc into `dir`.
fn build_picolibc(dir: &Path, name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(format!("{name}.c"));
    let out = dir.join(format!("{name}.elf"));
    let result = Command::new("riscv64-unknown-elf-gcc")
        .args(PICOLIBC_FLAGS)
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .output()
        .expect(
            "riscv64-unknown-elf-gcc is installed (Debian's gcc-riscv64-unknown-elf and \
             picolibc-riscv64-unknown-elf)",
        );
    assert!(
        result.status.success(),
        "building {name} failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    out
}

#[test]
fn picolibc_program_prints_and_exits_as_on_qemu() {
    let dir = scratch("picolibc");
    let elf = build_picolibc(&dir, "picolibc_hello");
    let runs = ENGINES.map(|engine| {
        let console = Arc::new(Mutex::new(Vec::new()));
        let report = run_one(
            VmConfig {
                bios: Firmware::None,
                kernel: Some(elf.clone()),
                max_insns: Some(50_000_000),
                engine,
                ..VmConfig::default()
            },
            Console::Capture(console.clone()),
        );
        let text = String::from_utf8_lossy(&console.lock().unwrap()).into_owned();
        (report, text)
    });
    assert_eq!(runs[0].1, runs[1].1, "the engines print differently");
    assert_eq!(runs[0].0.exit, runs[1].0.exit);
    let [_, (report, ours)] = runs;
    let (qemu, qemu_status) = qemu_output(
        &[
            "-machine",
            "virt",
            "-nographic",
            "-bios",
            "none",
            "-kernel",
            elf.to_str().unwrap(),
        ],
        "",
        Duration::from_secs(30),
    );

    println!("{ours}");
    assert_eq!(report.exit, ExitReason::PowerOff(7));
    assert_eq!(report.exit.exit_status(), 7);
    assert_eq!(qemu_status, Some(7));
    assert_eq!(ours, qemu);
    assert_eq!(ours.lines().count(), 9, "{ours}");
    for line in [
        "primes below 10000: 1229",
        "20! = 2432902008176640000, gcd(20!, 3^20) = 6561",
        "sqrt(2) = 1.414213562373095",
        "strtod(\"6.02214076e23\") / 1e23 = 6.02214076",
    ] {
        assert!(ours.contains(line), "no {line:?} in\n{ours}");
    }
}

#[test]
fn ospite_command_exits_with_the_programs_status_and_reports_traps() {
    let dir = scratch("picolibc-cli");
    let elf = build_picolibc(&dir, "picolibc_hello");

    let out = Command::new(OSPITE)
        .args(["run", "--stats", "--bios", "none", "--kernel"])
        .arg(&elf)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();

    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{err}");
    assert!(text.ends_with("strlen = 6, exiting with 7\n"), "{text}");
    assert!(err.contains("0 exceptions and 0 interrupts taken"), "{err}");
}
