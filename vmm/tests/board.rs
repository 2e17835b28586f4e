//! The device tree checked by `dtc`, the built-in guest, `ospite disasm`, bad input at the
//! command line, and many VMs at once.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ospite_vmm::{
    run_one, Console, ExitReason, Firmware, SatpMode, Vm, VmConfig, Vmm, EXIT_BUDGET,
    EXIT_GUEST_FAULT,
};
use support::*;

const OSPITE: &str = env!("CARGO_BIN_EXE_ospite");

#[test]
fn device_tree_passes_dtc_and_describes_the_board() {
    let dir = scratch("dtc");
    let vm = Vm::new(
        VmConfig {
            append: Some("console=ttyS0 earlycon".into()),
            ..VmConfig::default()
        },
        Box::new(std::io::sink()),
    )
    .unwrap();
    let dtb = dir.join("board.dtb");
    std::fs::write(&dtb, vm.fdt()).unwrap();
    let out = Command::new("dtc")
        .args(["-I", "dtb", "-O", "dts"])
        .arg(&dtb)
        .output()
        .expect("dtc (Debian's device-tree-compiler) is installed");
    let dts = String::from_utf8_lossy(&out.stdout);
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{warnings}");
    assert_eq!(warnings, "");
    for needle in [
        "compatible = \"riscv-virtio\";",
        "bootargs = \"console=ttyS0 earlycon\";",
        "stdout-path = \"/soc/serial@10000000\";",
        "reg = <0x00 0x80000000 0x00 0x8000000>;",
        "timebase-frequency = <0x989680>;",
        "mmu-type = \"riscv,sv57\";",
        "riscv,isa = \"rv64imafdc_zicsr_zifencei_zba_zbb_zbc_zbs_sstc\";",
        "serial@10000000 {",
        "interrupts = <0x0a>;",
        "compatible = \"sifive,plic-1.0.0\\0riscv,plic0\";",
        "compatible = \"sifive,clint0\\0riscv,clint0\";",
        "compatible = \"sifive,test1\\0sifive,test0\\0syscon\";",
        "compatible = \"google,goldfish-rtc\";",
        "virtio_mmio@10008000 {",
        "compatible = \"syscon-poweroff\";",
    ] {
        assert!(dts.contains(needle), "no {needle} in\n{dts}");
    }
}

#[test]
fn device_tree_mmu_type_follows_the_mmu_option() {
    let tree = |mmu| {
        let config = VmConfig {
            mmu,
            ..VmConfig::default()
        };
        Vm::new(config, Box::new(std::io::sink()))
            .unwrap()
            .fdt()
            .to_vec()
    };
    let names = |fdt: &[u8]| {
        ["riscv,sv39", "riscv,sv48", "riscv,sv57"]
            .map(|n| fdt.windows(n.len()).any(|w| w == n.as_bytes()))
    };
    assert_eq!(
        [SatpMode::Sv39, SatpMode::Sv48].map(|m| names(&tree(m))),
        [[true, false, false], [false, true, false]]
    );
}

#[test]
fn builtin_guest_prints_and_powers_off() {
    let out = Command::new(OSPITE)
        .args(["run", "--stats"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let stats = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text.contains("Fibonacci: 0 1 1 2 3 5 8 13 21 34 55"),
        "{text}"
    );
    assert!(text.contains("primes below 20000: 2262"), "{text}");
    assert!(stats.contains("guest MIPS"), "{stats}");
}

#[test]
fn disasm_prints_the_isa_listing_of_opensbi() {
    let expected = ospite_isa::listing::listing(
        FW_JUMP,
        &std::fs::read(FW_JUMP).unwrap(),
        ospite_isa::Extensions::ALL,
    )
    .unwrap();
    let out = Command::new(OSPITE)
        .args(["disasm", FW_JUMP])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text.lines().count() > 30_000);
    assert!(
        text == expected,
        "ospite disasm differs from ospite_isa::listing"
    );
}

/// Runs `ospite` with `args`; returns the status and stderr, which must be one line.
fn bad(args: &[&str]) -> (i32, String) {
    let out = Command::new(OSPITE)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "not one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(err.starts_with("ospite: "), "{err}");
    (out.status.code().unwrap(), err)
}

#[test]
fn bad_input_gets_one_line_naming_it() {
    let dir = scratch("bad");
    let truncated = dir.join("truncated.elf");
    std::fs::write(&truncated, &std::fs::read(FW_JUMP).unwrap()[..200]).unwrap();
    let garbage = dir.join("garbage.elf");
    let mut g = b"\x7fELF\x02\x01\x01".to_vec();
    g.extend((0u32..4000).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    std::fs::write(&garbage, &g).unwrap();
    let big = dir.join("big.bin");
    std::fs::write(&big, vec![0x13u8; 3 << 20]).unwrap();
    let empty = dir.join("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    let p = |p: &PathBuf| p.to_str().unwrap().to_owned();

    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--bios".into(), "/nonexistent/fw.elf".into()],
            "/nonexistent/fw.elf: cannot read",
        ),
        (vec!["--bios".into(), p(&truncated)], "truncated.elf: "),
        (
            vec![
                "--bios".into(),
                "none".into(),
                "--kernel".into(),
                p(&garbage),
            ],
            "garbage.elf: ",
        ),
        (
            vec!["--bios".into(), "none".into(), "--kernel".into(), p(&empty)],
            "empty.bin: the file is empty",
        ),
        (
            vec!["--bios".into(), p(&big), "-m".into(), "2M".into()],
            "big.bin: 0x300000 bytes at 0x80000000 do not fit",
        ),
        (
            vec![
                "--bios".into(),
                FW_JUMP.into(),
                "--kernel".into(),
                FW_JUMP.into(),
            ],
            "overlaps",
        ),
        (
            vec!["-m".into(), "0".into()],
            "-m 0: guest RAM cannot be empty",
        ),
        (vec!["-m".into(), "lots".into()], "-m lots: expected a size"),
        (
            vec!["--smp".into(), "4".into()],
            "--smp 4 (more than one hart): not supported yet",
        ),
        (
            vec!["--frobnicate".into()],
            "unexpected argument '--frobnicate'",
        ),
        (
            vec!["--engine".into(), "jit".into()],
            "invalid value 'jit' for '--engine <ENGINE>'",
        ),
    ];
    for (args, expect) in cases {
        let mut full = vec!["run".to_owned()];
        full.extend(args);
        let refs: Vec<&str> = full.iter().map(String::as_str).collect();
        let (status, err) = bad(&refs);
        assert_ne!(status, 0, "{full:?}");
        assert!(err.contains(expect), "{full:?}: {err}");
    }
    let (status, err) = bad(&["disasm", garbage.to_str().unwrap()]);
    assert_eq!(status, 1);
    assert!(err.contains("garbage.elf"), "{err}");
}

#[test]
fn truncations_of_a_real_elf_never_panic() {
    let data = std::fs::read(FW_JUMP).unwrap();
    let path = std::path::Path::new("fw_jump.elf");
    let mut ok = 0;
    for len in (0..data.len())
        .step_by(997)
        .chain([1, 4, 5, 16, 63, 64, 65])
    {
        if ospite_vmm::loader::image_from_bytes(path, &data[..len], 0x8000_0000).is_ok() {
            ok += 1;
        }
    }
    // Short prefixes are refused; only prefixes holding every segment parse.
    assert!(ok < data.len() / 997);
}

/// A raw program: one 32-bit instruction word repeated.
fn raw(dir: &std::path::Path, name: &str, word: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, word.to_le_bytes().repeat(4)).unwrap();
    path
}

#[test]
fn many_vms_end_alone_with_their_own_reports() {
    let dir = scratch("many");
    let spin = raw(&dir, "spin.bin", 0x0000_006f); // j .
    let crash = raw(&dir, "crash.bin", 0x0000_0067); // jr zero: to address 0, no memory
    let seen = Arc::new(AtomicU64::new(0));
    let s2 = seen.clone();
    let console = Arc::new(Mutex::new(Vec::new()));
    let mut vmm = Vmm::new();
    vmm.add(
        VmConfig {
            name: "loops".into(),
            bios: Firmware::None,
            kernel: Some(spin),
            max_insns: Some(2_000_000),
            ..VmConfig::default()
        },
        Console::Capture(Arc::new(Mutex::new(Vec::new()))),
    )
    .add(
        VmConfig {
            name: "faults".into(),
            bios: Firmware::None,
            kernel: Some(crash),
            memory: 16 << 20,
            max_insns: Some(50_000_000),
            ..VmConfig::default()
        },
        Console::Capture(Arc::new(Mutex::new(Vec::new()))),
    )
    .add(
        VmConfig {
            name: "panics".into(),
            observer: Some(Arc::new(move |n| {
                s2.store(n, Ordering::Relaxed);
                assert!(n < 100_000, "observer saw {n} instructions");
            })),
            ..VmConfig::default()
        },
        Console::Capture(Arc::new(Mutex::new(Vec::new()))),
    )
    .add(
        VmConfig {
            name: "passes".into(),
            ..VmConfig::default()
        },
        Console::Capture(console.clone()),
    );
    let reports = vmm.run();
    let exits: Vec<(&str, u8)> = reports
        .iter()
        .map(|r| (r.name.as_str(), r.exit.exit_status()))
        .collect();
    assert_eq!(
        exits,
        [
            ("loops", EXIT_BUDGET),
            ("faults", EXIT_GUEST_FAULT),
            ("panics", ospite_vmm::EXIT_EMULATOR_BUG),
            ("passes", 0)
        ]
    );
    assert_eq!(reports[0].stats.instructions, 2_000_000);
    assert!(matches!(
        reports[1].exit,
        ExitReason::GuestFault {
            pc: 0,
            mcause: 1,
            ..
        }
    ));
    assert!(matches!(&reports[2].exit, ExitReason::EmulatorBug(m) if m.contains("observer saw")));
    let text = String::from_utf8_lossy(&console.lock().unwrap()).into_owned();
    assert!(text.contains("primes below 20000: 2262"), "{text}");
}

#[test]
fn cli_vm_options_prefix_consoles_and_report_each_vm() {
    let dir = scratch("cli-many");
    let spin = raw(&dir, "spin.bin", 0x0000_006f);
    let out = Command::new(OSPITE)
        .args(["run", "--vm", "name=demo", "--vm"])
        .arg(format!(
            "name=spin,bios=none,kernel={},max-insns=1M",
            spin.display()
        ))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[demo] primes below 20000: 2262"), "{text}");
    assert!(
        text.contains("ospite: demo: exit status 0: powered off (success)"),
        "{text}"
    );
    assert!(
        text.contains("ospite: spin: exit status 124: instruction budget spent"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(i32::from(EXIT_BUDGET)));
}

#[test]
fn budget_exhaustion_has_its_own_status() {
    let report = run_one(
        VmConfig {
            max_insns: Some(1000),
            ..VmConfig::default()
        },
        Console::Capture(Arc::new(Mutex::new(Vec::new()))),
    );
    assert_eq!(report.exit, ExitReason::BudgetSpent);
    assert_eq!(report.exit.exit_status(), EXIT_BUDGET);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn block_log_lists_each_translated_block_beside_its_x86_code() {
    let dir = scratch("block-log");
    let log = dir.join("blocks.txt");
    let out = Command::new(OSPITE)
        .args(["run", "--engine", "dbt", "--block-log"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    let blocks: Vec<&str> = text.lines().filter(|l| l.starts_with("block 0x")).collect();
    assert!(blocks.len() > 10, "{} blocks", blocks.len());
    // Each block: its header, its guest instructions from its own pc, then x86 lines.
    for (header, rest) in text
        .split("\nblock ")
        .skip(1)
        .map(|b| b.split_once('\n').unwrap())
    {
        let pc = header.split(':').next().unwrap();
        let mut lines = rest.lines();
        let first = lines.next().unwrap();
        assert!(first.trim_start().starts_with(pc), "{header}: {first}");
        assert!(
            lines.any(|l| l.contains("sub     r15,")),
            "{header}: no budget check"
        );
    }

    let (status, err) = bad(&[
        "run",
        "--engine",
        "interp",
        "--block-log",
        log.to_str().unwrap(),
    ]);
    assert_eq!(status, 1);
    assert!(
        err.contains("--block-log") && err.contains("--engine dbt"),
        "{err}"
    );
    let (status, err) = bad(&[
        "run",
        "--engine",
        "dbt",
        "--block-log",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(status, 1);
    assert!(err.contains("cannot create the block log"), "{err}");
}
