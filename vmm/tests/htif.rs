//! riscv-tests-style programs that report through `tohost`, built here with
//! `riscv64-unknown-elf-gcc -nostdlib`, run with `--bios none` on ospite and on QEMU's `spike`
//! machine: the same exit status and the same console text.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use ospite_vmm::{run_one, Console, EngineKind, ExitReason, Firmware, VmConfig};
use support::*;

/// A program whose body is `body`, with `tohost`/`fromhost` in their own section.
fn program(body: &str) -> String {
    format!(
        r#"
    .section .text.init
    .globl _start
_start:
    la sp, stack_top
{body}
1:  j 1b

    .section .tohost, "aw", @progbits
    .align 6
    .globl tohost
tohost: .dword 0
    .size tohost, 8
    .align 6
    .globl fromhost
fromhost: .dword 0
    .size fromhost, 8

    .bss
    .align 4
    .space 4096
stack_top:
"#
    )
}

/// Writes `value` to tohost (a0 clobbered).
const fn exit_with(code: u64) -> u64 {
    (code << 1) | 1
}

/// Runs `elf` on each engine; both must end the same way and print the same text.
fn run_ours(elf: &Path) -> (ExitReason, String) {
    let [interp, dbt] = ENGINES.map(|engine| run_on(elf, engine));
    assert_eq!(interp, dbt, "{}: the engines differ", elf.display());
    dbt
}

fn run_on(elf: &Path, engine: EngineKind) -> (ExitReason, String) {
    let console = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let report = run_one(
        VmConfig {
            bios: Firmware::None,
            kernel: Some(PathBuf::from(elf)),
            max_insns: Some(10_000_000),
            engine,
            ..VmConfig::default()
        },
        Console::Capture(console.clone()),
    );
    let text = String::from_utf8_lossy(&console.lock().unwrap()).into_owned();
    (report.exit, text)
}

fn run_qemu(elf: &Path) -> (Option<i32>, String) {
    let (text, status) = qemu_output(
        &[
            "-machine",
            "spike",
            "-nographic",
            "-bios",
            "none",
            "-kernel",
            elf.to_str().unwrap(),
        ],
        "",
        Duration::from_secs(20),
    );
    (status, text)
}

#[test]
fn pass_fail_and_putchar_programs_agree_with_qemu_spike() {
    let dir = scratch("htif");
    let pass = build_elf(
        &dir,
        "pass",
        &program(&format!(
            "    li a0, {}\n    la t0, tohost\n    sd a0, 0(t0)",
            exit_with(0)
        )),
    );
    let fail = build_elf(
        &dir,
        "fail",
        &program(&format!(
            "    li a0, 6\n    li a1, 7\n    mul a0, a0, a1\n    li a1, 42\n    beq a0, a1, 2f\n    \
             li a0, {}\n    j 3f\n2:  li a0, {}\n3:  la t0, tohost\n    sd a0, 0(t0)",
            exit_with(1),
            exit_with(5)
        )),
    );
    // Prints "ok\n" through device 1 command 1, waiting for fromhost's acknowledgement.
    let putchar = build_elf(
        &dir,
        "putchar",
        &program(&format!(
            r#"    la s0, msg
    la s1, tohost
    la s2, fromhost
    li s3, 0x0101000000000000
4:  lbu a0, 0(s0)
    beqz a0, 6f
    or a0, a0, s3
    sd a0, 0(s1)
5:  ld a1, 0(s2)
    beqz a1, 5b
    sd zero, 0(s2)
    addi s0, s0, 1
    j 4b
6:  li a0, {}
    sd a0, 0(s1)
    j 1f
    .section .rodata
msg: .asciz "ok\n"
    .text"#,
            exit_with(0)
        )),
    );

    let ours: Vec<_> = [&pass, &fail, &putchar].map(|p| run_ours(p)).into();
    let qemu: Vec<_> = [&pass, &fail, &putchar].map(|p| run_qemu(p)).into();

    assert_eq!(ours[0].0, ExitReason::PowerOff(0));
    assert_eq!(ours[1].0, ExitReason::PowerOff(5));
    assert_eq!(ours[2], (ExitReason::PowerOff(0), "ok\n".to_owned()));
    let statuses: Vec<Option<i32>> = ours
        .iter()
        .map(|(e, _)| Some(i32::from(e.exit_status())))
        .collect();
    assert_eq!(statuses, qemu.iter().map(|q| q.0).collect::<Vec<_>>());
    assert_eq!(ours[2].1, qemu[2].1.replace("\r\n", "\n"));
}
