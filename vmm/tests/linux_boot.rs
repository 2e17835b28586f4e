//! Linux 6.1 from Debian's linux-source-6.1 (built by `guests/linux/build.sh`, cached) boots
//! under Debian's OpenSBI to our init's prompt, reads and writes an ext2 disk through
//! virtio-blk, and powers off; QEMU virt prints the same lines for the same session; three
//! Linux VMs run at once, and one powering off early or panicking leaves the others running.
//!
//! The engine is a parameter of every session ([`boot`]), so each case can run on each engine.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ospite_vmm::{
    Console, DriveConfig, EngineKind, ExitReason, Firmware, SatpMode, VmConfig, VmHandle, Vmm,
};
use support::linux::*;
use support::*;

/// How long any one step (booting, one command) may take.
const STEP: Duration = Duration::from_secs(120);

/// What the disk holds when a test makes it.
const HELLO: &str = "hello from an ext2 disk made on the host\n";

/// The session typed at the init's prompt, on ospite and on QEMU alike.
const SESSION: &[&str] = &[
    "uname",
    "work 20000",
    "ls /",
    "mount",
    "ls /mnt",
    "cat /mnt/hello.txt",
    "echo written by the guest > /mnt/from-guest.txt",
    "cat /mnt/from-guest.txt",
    "umount /mnt",
    "nosuch",
];

/// One command's output lines, after the command.
type Transcript = Vec<(String, Vec<String>)>;

/// Types [`SESSION`] at the shell, then `poweroff`.
fn session(shell: &mut Shell<'_>) -> Transcript {
    let t = SESSION
        .iter()
        .map(|c| (c.to_string(), shell.run(c)))
        .collect();
    shell.last("poweroff");
    t
}

/// A fresh disk holding `hello.txt`.
fn disk(dir: &Path) -> PathBuf {
    make_disk(dir, "disk.img", &[("hello.txt", HELLO)])
}

/// The Linux VM's configuration on `engine`.
fn linux_vm(name: &str, engine: EngineKind, drive: Option<&Path>) -> VmConfig {
    let (kernel, initrd) = artifacts();
    VmConfig {
        name: name.into(),
        bios: Firmware::Path(PathBuf::from(FW)),
        kernel: Some(kernel.clone()),
        initrd: Some(initrd.clone()),
        append: Some(APPEND.into()),
        memory: MEMORY,
        drive: drive.map(|p| DriveConfig {
            path: p.to_owned(),
            readonly: false,
        }),
        time_limit: Some(Duration::from_secs(600)),
        engine,
        ..VmConfig::default()
    }
}

/// Boots Linux on ospite with `engine` and a fresh disk, runs [`SESSION`] and powers off.
/// Returns the transcript, the whole console, and the disk.
fn boot(engine: EngineKind, dir: &Path) -> (Transcript, String, PathBuf) {
    let disk = disk(dir);
    let started = Instant::now();
    let vm = Running::start(linux_vm("linux", engine, Some(&disk)));
    let handle = vm.handle.clone();
    let transcript = {
        let mut shell = Shell::new(
            &vm.console,
            Box::new(move |b: &[u8]| handle.send_input(b)),
            STEP,
        );
        println!("{engine:?}: at the prompt after {:?}", started.elapsed());
        session(&mut shell)
    };
    let (report, text) = vm.finish();
    println!("{engine:?}: {}; {}", report.exit, report.stats);
    assert_eq!(report.exit, ExitReason::PowerOff(0), "{text}");
    (transcript, text, disk)
}

/// The transcript a correct guest gives (QEMU's is compared line for line below).
fn check_transcript(t: &Transcript) {
    let out = |cmd: &str| -> Vec<String> {
        t.iter()
            .find(|(c, _)| c == cmd)
            .map(|(_, o)| o.clone())
            .unwrap()
    };
    assert_eq!(out("uname"), ["Linux 6.1.192 riscv64"]);
    assert_eq!(
        out("work 20000"),
        ["primes below 20000: 2262 (fnv 36793cfdeac452f8)"]
    );
    assert_eq!(out("mount"), ["mounted /dev/vda on /mnt (ext2)"]);
    assert_eq!(out("ls /mnt"), ["hello.txt", "lost+found"]);
    assert_eq!(out("cat /mnt/hello.txt"), [HELLO.trim_end()]);
    assert_eq!(out("cat /mnt/from-guest.txt"), ["written by the guest"]);
    assert_eq!(out("umount /mnt"), ["unmounted /mnt"]);
    assert_eq!(out("nosuch"), ["unknown command: nosuch"]);
}

fn boots_to_the_prompt_uses_the_disk_and_powers_off(engine: EngineKind) {
    let dir = scratch(&format!("linux-{engine:?}"));
    let (transcript, text, disk) = boot(engine, &dir);
    check_transcript(&transcript);
    assert!(text.contains("virtio_blk virtio0: [vda] 16384 512-byte logical blocks"));
    assert!(text.contains("reboot: Power down"), "{text}");
    // The guest's write reached the image file on the host.
    assert_eq!(
        debugfs_cat(&disk, "/from-guest.txt"),
        "written by the guest\n"
    );
}

#[test]
fn linux_boots_to_the_prompt_reads_and_writes_the_disk_and_powers_off_on_the_interpreter() {
    boots_to_the_prompt_uses_the_disk_and_powers_off(EngineKind::Interp);
}

#[test]
fn linux_boots_to_the_prompt_reads_and_writes_the_disk_and_powers_off_on_the_translator() {
    boots_to_the_prompt_uses_the_disk_and_powers_off(EngineKind::Dbt);
}

/// A drive attached read-only: the guest sees a write-protected disk, mounts it read-only,
/// cannot write it, and the image stays as it was.
fn readonly_drive(engine: EngineKind) {
    let dir = scratch(&format!("linux-ro-{engine:?}"));
    let disk = disk(&dir);
    let before = std::fs::read(&disk).unwrap();
    let mut config = linux_vm("ro", engine, Some(&disk));
    if let Some(d) = config.drive.as_mut() {
        d.readonly = true;
    }
    let vm = Running::start(config);
    let handle = vm.handle.clone();
    let outputs: Vec<Vec<String>> = {
        let mut shell = Shell::new(
            &vm.console,
            Box::new(move |b: &[u8]| handle.send_input(b)),
            STEP,
        );
        let outputs = [
            "cat /sys/block/vda/ro",
            "mount",
            "cat /mnt/hello.txt",
            "echo x > /mnt/x.txt",
        ]
        .iter()
        .map(|c| shell.run(c))
        .collect();
        shell.last("poweroff");
        outputs
    };
    let (report, text) = vm.finish();
    assert_eq!(report.exit, ExitReason::PowerOff(0), "{text}");
    assert_eq!(
        outputs,
        [
            vec!["1".to_owned()],
            vec!["mounted /dev/vda on /mnt (ext2, read-only)".to_owned()],
            vec![HELLO.trim_end().to_owned()],
            vec!["echo: /mnt/x.txt: Read-only file system".to_owned()],
        ]
    );
    assert!(std::fs::read(&disk).unwrap() == before, "the image changed");
}

#[test]
fn linux_sees_a_readonly_drive_as_write_protected_on_the_interpreter() {
    readonly_drive(EngineKind::Interp);
}

#[test]
fn linux_sees_a_readonly_drive_as_write_protected_on_the_translator() {
    readonly_drive(EngineKind::Dbt);
}

/// Boots Linux without a disk on `engine` with `--mmu mode`, and returns the `isa` and `mmu`
/// lines of `/proc/cpuinfo`: the extensions the kernel found in the device tree, and the mode
/// it settled on after probing `satp` (Sv57, then Sv48, then Sv39).
fn cpuinfo_isa_and_mmu(engine: EngineKind, mode: SatpMode) -> Vec<String> {
    let config = VmConfig {
        mmu: mode,
        ..linux_vm(&format!("{mode:?}"), engine, None)
    };
    let vm = Running::start(config);
    let handle = vm.handle.clone();
    let cpuinfo = {
        let mut shell = Shell::new(
            &vm.console,
            Box::new(move |b: &[u8]| handle.send_input(b)),
            STEP,
        );
        let cpuinfo = shell.run("cat /proc/cpuinfo");
        shell.last("poweroff");
        cpuinfo
    };
    let (report, text) = vm.finish();
    assert_eq!(report.exit, ExitReason::PowerOff(0), "{text}");
    cpuinfo
        .into_iter()
        .filter(|l| l.starts_with("isa") || l.starts_with("mmu"))
        .collect()
}

/// Also: the kernel sees Sstc in `riscv,isa`.
#[test]
fn linux_uses_sv39_with_mmu_sv39_and_sv48_with_mmu_sv48_on_both_engines() {
    let seen: Vec<Vec<String>> = ENGINES
        .iter()
        .flat_map(|&e| [SatpMode::Sv39, SatpMode::Sv48].map(|m| cpuinfo_isa_and_mmu(e, m)))
        .collect();
    let line = |m: &str| {
        vec![
            "isa\t\t: rv64imafdc_sstc".to_owned(),
            format!("mmu\t\t: {m}"),
        ]
    };
    assert_eq!(
        seen,
        [line("sv39"), line("sv48"), line("sv39"), line("sv48")]
    );
}

/// The kernel's log from its banner to `Run /init`, timestamps stripped.
fn kernel_log(text: &str) -> Vec<String> {
    lines(text)
        .into_iter()
        .skip_while(|l| !l.contains("Linux version"))
        .take_while(|l| !l.contains("Run /init as init process"))
        .map(|l| match l.find("] ") {
            Some(i) if l.starts_with('[') => l[i + 2..].to_owned(),
            _ => l,
        })
        .collect()
}

/// Kernel log lines that differ between QEMU 7.2 and ospite, each with the reason. A line
/// that starts with one of these prefixes is left out of the comparison on both sides.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "riscv: base ISA extensions ",
        "QEMU's hart has the hypervisor extension (h); ours does not",
    ),
    (
        "Memory: ",
        "the kernel reserves the device tree's pages: QEMU's tree (PCI, flash, fw-cfg \
         nodes) is larger than ours",
    ),
];

fn known(line: &str) -> bool {
    KNOWN_DIFFERENCES.iter().any(|(p, _)| line.starts_with(p))
}

/// Prefixes of kernel log lines printed by asynchronous work (the initramfs is unpacked by an
/// async initcall), whose place among the others depends on timing on either machine: those
/// lines are compared in their own order after the rest, not by position.
const UNORDERED: &[&str] = &["Unpacking initramfs...", "Freeing initrd memory: "];

/// The kernel log without [`KNOWN_DIFFERENCES`], the [`UNORDERED`] lines moved to the end.
fn comparable(log: &[String]) -> Vec<&String> {
    let (unordered, ordered): (Vec<&String>, Vec<&String>) = log
        .iter()
        .filter(|l| !known(l))
        .partition(|l| UNORDERED.iter().any(|p| l.starts_with(p)));
    ordered.into_iter().chain(unordered).collect()
}

#[test]
fn linux_on_qemu_prints_the_same_lines_as_on_both_engines() {
    let dir = scratch("linux-vs-qemu");
    let (ours, our_text, _) = boot(EngineKind::Interp, &dir);
    let dbt_dir = dir.join("dbt");
    std::fs::create_dir_all(&dbt_dir).unwrap();
    let (translated, translated_text, _) = boot(EngineKind::Dbt, &dbt_dir);

    let qemu_dir = dir.join("qemu");
    std::fs::create_dir_all(&qemu_dir).unwrap();
    let qemu_disk = disk(&qemu_dir);
    let qemu = Qemu::start(Some(&qemu_disk));
    let output = qemu.output.clone();
    let theirs = {
        let q = &qemu;
        let mut shell = Shell::new(&output, Box::new(move |b: &[u8]| q.send(b)), STEP);
        session(&mut shell)
    };
    let (status, qemu_text) = qemu.finish(STEP);
    assert_eq!(status, Some(0), "{qemu_text}");
    check_transcript(&theirs);
    assert_eq!(ours, theirs);
    assert_eq!(translated, theirs);

    let (a, b) = (kernel_log(&our_text), kernel_log(&qemu_text));
    assert!(a.len() > 30, "{our_text}");
    assert_eq!(comparable(&a), comparable(&b));
    let t = kernel_log(&translated_text);
    assert_eq!(comparable(&t), comparable(&b));
    assert_eq!(
        debugfs_cat(&qemu_disk, "/from-guest.txt"),
        "written by the guest\n"
    );
}

/// Three Linux VMs in one process, each with its own disk, workload and console. The first
/// powers off early, the second panics (its init exits) and is then ended from outside; the
/// third goes on with its work and powers off.
fn three_linux_vms(engine: EngineKind) {
    let dir = scratch(&format!("linux-three-{engine:?}"));
    let names = ["early", "panics", "works"];
    let consoles: Vec<Arc<Mutex<Vec<u8>>>> = names
        .iter()
        .map(|_| Arc::new(Mutex::new(Vec::new())))
        .collect();
    let mut vmm = Vmm::new();
    let mut disks = Vec::new();
    for (name, console) in names.iter().zip(&consoles) {
        let disk = make_disk(&dir, &format!("{name}.img"), &[("name.txt", name)]);
        vmm.add(
            linux_vm(name, engine, Some(&disk)),
            Console::Capture(console.clone()),
        );
        disks.push(disk);
    }
    let started = Instant::now();
    let running = vmm.start();
    let handles: Vec<VmHandle> = (0..3).map(|i| running.handle(i).unwrap().clone()).collect();
    let shell = |i: usize| {
        let h = handles[i].clone();
        Shell::new(
            &consoles[i],
            Box::new(move |b: &[u8]| h.send_input(b)),
            STEP,
        )
    };
    let mut shells: Vec<Shell<'_>> = std::thread::scope(|s| {
        let waits: Vec<_> = (0..3).map(|i| s.spawn(move || shell(i))).collect();
        waits.into_iter().map(|w| w.join().unwrap()).collect()
    });
    println!("three at the prompt after {:?}", started.elapsed());
    let mount_and_name = |sh: &mut Shell<'_>| {
        sh.run("mount");
        sh.run("cat /mnt/name.txt")
    };

    // The first works a little and powers off.
    assert_eq!(
        shells[0].run("work 5000"),
        ["primes below 5000: 669 (fnv 8660f0a0ac50e773)"]
    );
    assert_eq!(mount_and_name(&mut shells[0]), ["early"]);
    shells[0].last("poweroff");
    let deadline = Instant::now() + STEP;
    while !running.is_finished(0) {
        assert!(Instant::now() < deadline, "vm 0 did not power off");
        std::thread::sleep(Duration::from_millis(20));
    }

    // The second's init exits: the kernel panics, and the VM spins until ended from outside.
    assert_eq!(mount_and_name(&mut shells[1]), ["panics"]);
    shells[1].last("exit 3");
    wait_for_text(
        &consoles[1],
        "Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000300",
        shells[1].at,
        STEP,
    );
    assert!(!running.is_finished(1));

    // The third is unaffected by either.
    assert_eq!(
        shells[2].run("work 30000"),
        ["primes below 30000: 3245 (fnv 8f8ec8beafec8d4b)"]
    );
    assert_eq!(mount_and_name(&mut shells[2]), ["works"]);
    shells[2].run("echo from the third > /mnt/out.txt");
    shells[2].run("umount /mnt");
    shells[2].last("poweroff");
    let deadline = Instant::now() + STEP;
    while !running.is_finished(2) {
        assert!(Instant::now() < deadline, "vm 2 did not power off");
        std::thread::sleep(Duration::from_millis(20));
    }
    handles[1].quit();
    let reports = running.wait();
    for r in &reports {
        println!("{}: {}; {}", r.name, r.exit, r.stats);
    }
    let exits: Vec<ExitReason> = reports.iter().map(|r| r.exit.clone()).collect();
    assert_eq!(
        exits,
        [
            ExitReason::PowerOff(0),
            ExitReason::Quit,
            ExitReason::PowerOff(0)
        ]
    );
    assert_eq!(debugfs_cat(&disks[2], "/out.txt"), "from the third\n");
    // Each console holds one boot of its own VM.
    for (i, c) in consoles.iter().enumerate() {
        let text = String::from_utf8_lossy(&c.lock().unwrap()).into_owned();
        assert_eq!(text.matches("Linux version 6.1").count(), 1, "vm {i}");
        assert_eq!(
            text.contains("Kernel panic"),
            i == 1,
            "vm {i}: only the second panics"
        );
    }
}

#[test]
fn three_linux_vms_at_once_one_powering_off_early_one_panicking_on_the_interpreter() {
    three_linux_vms(EngineKind::Interp);
}

#[test]
fn three_linux_vms_at_once_one_powering_off_early_one_panicking_on_the_translator() {
    three_linux_vms(EngineKind::Dbt);
}
