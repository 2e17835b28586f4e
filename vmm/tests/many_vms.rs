//! Six VMs at once through the `Vmm` API: four boot Debian's OpenSBI (`fw_jump`) and U-Boot,
//! each typed at through its own console (an `echo` of its own name, `version`, `poweroff`);
//! a fifth loops forever until its instruction budget ends it, and a sixth jumps to unmapped
//! memory with no trap handler. The fifth and sixth end alone, with their own statuses, while
//! the four run on; each console holds only its own VM's text.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ospite_vmm::{
    Console, ExitReason, Firmware, VmConfig, VmHandle, Vmm, EXIT_BUDGET, EXIT_GUEST_FAULT,
};
use support::*;

const UBOOTS: usize = 4;
const LOOP_BUDGET: u64 = 30_000_000;
const WAIT: Duration = Duration::from_secs(60);

/// A raw program: one 32-bit instruction word repeated.
fn raw(dir: &Path, name: &str, word: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, word.to_le_bytes().repeat(4)).unwrap();
    path
}

/// At U-Boot's prompt: stops autoboot, waits for `=>`; returns where the console is.
fn reach_prompt(console: &Mutex<Vec<u8>>, handle: &VmHandle) -> usize {
    let at = wait_for_text(console, "Hit any key to stop autoboot", 0, WAIT);
    handle.send_input(b" ");
    wait_for_text(console, "=> ", at, WAIT)
}

/// Types `line` at U-Boot's prompt and waits for `expect`, then for the next prompt.
fn command(
    console: &Mutex<Vec<u8>>,
    handle: &VmHandle,
    at: usize,
    line: &str,
    expect: &str,
) -> usize {
    handle.send_input(format!("{line}\r").as_bytes());
    let at = wait_for_text(console, expect, at, WAIT);
    wait_for_text(console, "=> ", at, WAIT)
}

fn text(console: &Mutex<Vec<u8>>) -> String {
    String::from_utf8_lossy(&console.lock().unwrap()).into_owned()
}

#[test]
fn four_uboots_run_on_while_a_looping_and_a_crashing_vm_end_alone() {
    let started = Instant::now();
    let dir = scratch("many-vms");
    let spin = raw(&dir, "spin.bin", 0x0000_006f); // j .
    let crash = raw(&dir, "crash.bin", 0x0000_0067); // jr zero: to address 0, no memory there
    let consoles: Vec<Arc<Mutex<Vec<u8>>>> = (0..UBOOTS + 2)
        .map(|_| Arc::new(Mutex::new(Vec::new())))
        .collect();
    let mut vmm = Vmm::new();
    for (i, console) in consoles.iter().take(UBOOTS).enumerate() {
        vmm.add(
            VmConfig {
                name: format!("uboot{i}"),
                bios: Firmware::Path(PathBuf::from(FW_JUMP)),
                kernel: Some(PathBuf::from(UBOOT)),
                time_limit: Some(Duration::from_secs(120)),
                // Half on each engine, side by side.
                engine: ENGINES[i % 2],
                ..VmConfig::default()
            },
            Console::Capture(console.clone()),
        );
    }
    vmm.add(
        VmConfig {
            name: "loops".into(),
            bios: Firmware::None,
            kernel: Some(spin),
            max_insns: Some(LOOP_BUDGET),
            time_limit: Some(Duration::from_secs(120)),
            ..VmConfig::default()
        },
        Console::Capture(consoles[UBOOTS].clone()),
    )
    .add(
        VmConfig {
            name: "crashes".into(),
            bios: Firmware::None,
            kernel: Some(crash),
            memory: 16 << 20,
            time_limit: Some(Duration::from_secs(120)),
            ..VmConfig::default()
        },
        Console::Capture(consoles[UBOOTS + 1].clone()),
    );

    let running = vmm.start();
    let handles: Vec<VmHandle> = (0..UBOOTS)
        .map(|i| running.handle(i).expect("a U-Boot VM is built").clone())
        .collect();
    // Each U-Boot is driven from its own thread, up to its prompt.
    let prompts: Vec<usize> = std::thread::scope(|s| {
        let drivers: Vec<_> = (0..UBOOTS)
            .map(|i| {
                let (console, handle) = (&consoles[i], &handles[i]);
                s.spawn(move || reach_prompt(console, handle))
            })
            .collect();
        drivers.into_iter().map(|d| d.join().unwrap()).collect()
    });
    // The looping and crashing VMs end on their own while the four wait at their prompts.
    let deadline = Instant::now() + WAIT;
    while !(running.is_finished(UBOOTS) && running.is_finished(UBOOTS + 1)) {
        assert!(
            Instant::now() < deadline,
            "the loop and crash VMs did not end"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let uboots_finished: Vec<bool> = (0..UBOOTS).map(|i| running.is_finished(i)).collect();
    std::thread::scope(|s| {
        for (i, at) in prompts.iter().enumerate() {
            let (console, handle) = (&consoles[i], &handles[i]);
            s.spawn(move || {
                let at = command(
                    console,
                    handle,
                    *at,
                    &format!("echo hello from vm {i}"),
                    &format!("\nhello from vm {i}"),
                );
                let at = command(console, handle, at, "version", "GNU ld");
                handle.send_input(b"poweroff\r");
                at
            });
        }
    });
    let reports = running.wait();
    let elapsed = started.elapsed();

    let exits: Vec<(&str, u8)> = reports
        .iter()
        .map(|r| (r.name.as_str(), r.exit.exit_status()))
        .collect();
    println!("{UBOOTS} U-Boots, a loop and a crash in {elapsed:?}");
    for r in &reports {
        println!("{}: {}; {}", r.name, r.exit, r.stats);
    }
    assert_eq!(uboots_finished, [false; UBOOTS]);
    assert_eq!(
        exits,
        [
            ("uboot0", 0),
            ("uboot1", 0),
            ("uboot2", 0),
            ("uboot3", 0),
            ("loops", EXIT_BUDGET),
            ("crashes", EXIT_GUEST_FAULT)
        ]
    );
    assert!(reports[..UBOOTS]
        .iter()
        .all(|r| r.exit == ExitReason::PowerOff(0) && r.stats.traps.exceptions > 0));
    assert_eq!(
        (
            reports[UBOOTS].exit.clone(),
            reports[UBOOTS].stats.instructions
        ),
        (ExitReason::BudgetSpent, LOOP_BUDGET)
    );
    assert!(matches!(
        reports[UBOOTS + 1].exit,
        ExitReason::GuestFault {
            pc: 0,
            mcause: 1,
            ..
        }
    ));
    // Each console holds one boot of its own VM and only its own VM's echo.
    for (i, console) in consoles.iter().take(UBOOTS).enumerate() {
        let text = text(console);
        let echoes: Vec<&str> = text
            .lines()
            .map(|l| l.trim_end_matches('\r'))
            .filter(|l| l.starts_with("hello from vm "))
            .collect();
        assert_eq!(text.matches("OpenSBI v").count(), 1, "{text}");
        assert!(text.matches("U-Boot 20").count() >= 2, "{text}");
        assert_eq!(echoes, [format!("hello from vm {i}")], "{text}");
        assert!(text.contains("=> poweroff"), "{text}");
    }
    assert_eq!(
        (text(&consoles[UBOOTS]), text(&consoles[UBOOTS + 1])),
        (String::new(), String::new())
    );
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
}
