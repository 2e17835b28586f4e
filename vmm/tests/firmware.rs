//! Debian's OpenSBI and U-Boot on our board, compared with QEMU's output for the same command
//! line.

mod support;

use std::path::PathBuf;
use std::time::Duration;

use ospite_vmm::{EngineKind, ExitReason, Firmware, VmConfig};
use support::*;

/// The banner lines from "OpenSBI" to "Domain0 SysReset": platform, devices, firmware layout
/// and domains. (The "Boot HART" lines that follow describe the hart itself: its ISA, PMP and
/// counters, which differ from QEMU's until F/D, H, Sstc and PMP checks exist.)
fn banner(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim_end_matches('\r').to_owned())
        .skip_while(|l| !l.starts_with("OpenSBI v"))
        .take_while(|l| !l.starts_with("Boot HART ID"))
        .filter(|l| !l.is_empty())
        .collect()
}

fn opensbi_matches_qemu(fw: &str) {
    let (qemu, _) = qemu_output(
        &["-machine", "virt", "-nographic", "-bios", fw],
        "Boot HART MEDELEG",
        Duration::from_secs(30),
    );
    for engine in ENGINES {
        let vm = Running::start(VmConfig {
            bios: Firmware::Path(PathBuf::from(fw)),
            max_insns: Some(500_000_000),
            engine,
            ..VmConfig::default()
        });
        vm.wait_for("Boot HART MEDELEG", 0, Duration::from_secs(30));
        vm.handle.quit();
        let (report, ours) = vm.finish();
        assert_eq!(report.exit, ExitReason::Quit);
        assert!(banner(&ours).len() > 25, "{engine:?}: {ours}");
        assert_eq!(banner(&ours), banner(&qemu), "{engine:?}");
    }
}

#[test]
fn opensbi_fw_jump_banner_equals_qemus() {
    opensbi_matches_qemu(FW_JUMP);
}

#[test]
fn opensbi_fw_dynamic_banner_equals_qemus() {
    opensbi_matches_qemu(FW_DYNAMIC);
}

#[test]
fn uboot_reaches_prompt_runs_version_and_powers_off() {
    let outputs: Vec<Vec<String>> = ENGINES.into_iter().map(uboot_session).collect();
    // The same lines on both engines, from OpenSBI's banner to U-Boot's last prompt.
    assert_eq!(outputs[0], outputs[1]);
}

/// Boots U-Boot on `engine`, runs `version` and `poweroff`; returns the console's lines
/// without the timing-dependent ones (the autoboot countdown).
fn uboot_session(engine: EngineKind) -> Vec<String> {
    let vm = Running::start(VmConfig {
        bios: Firmware::Path(PathBuf::from(FW_JUMP)),
        kernel: Some(PathBuf::from(UBOOT)),
        time_limit: Some(Duration::from_secs(60)),
        engine,
        ..VmConfig::default()
    });
    let at = vm.wait_for("Hit any key to stop autoboot", 0, Duration::from_secs(30));
    vm.handle.send_input(b" ");
    let at = vm.wait_for("=> ", at, Duration::from_secs(30));
    vm.handle.send_input(b"version\r");
    let at = vm.wait_for("GNU ld", at, Duration::from_secs(30));
    vm.wait_for("=> ", at, Duration::from_secs(30));
    vm.handle.send_input(b"poweroff\r");
    let (report, text) = vm.finish();
    assert_eq!(report.exit, ExitReason::PowerOff(0));
    let version: Vec<&str> = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| l.starts_with("U-Boot 20") || l.starts_with("GNU ld") || l.contains("-gcc ("))
        .collect();
    // `version` prints the version string built into the binary (QEMU prints the same).
    let binary = String::from_utf8_lossy(&std::fs::read(UBOOT).unwrap()).into_owned();
    let banner = version[version.len() - 3];
    assert!(
        banner.starts_with("U-Boot 20") && binary.contains(banner),
        "{banner}"
    );
    text.lines()
        .map(|l| l.trim_end_matches('\r').to_owned())
        .filter(|l| !l.contains("autoboot"))
        .collect()
}
