//! Debian trixie's own riscv64 guests (built by `guests/debian/build.sh`, cached outside the
//! clone): (a) the distribution kernel with a busybox initramfs loads its virtio and ext4
//! modules, reads an ext4 disk, runs its init's work and powers off, printing on both engines
//! what QEMU virt prints, up to timing; (b) a Debian system boots with systemd to a serial
//! `login:` on the translator, root logs in and runs Debian's programs, and `poweroff` ends it.
//! Every boot gets its own copy of a disk.

mod support;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ospite_vmm::{EngineKind, ExitReason};
use support::debian::*;
use support::linux::{lines, Qemu};
use support::*;

/// How long a boot (or one command) may take.
const STEP: Duration = Duration::from_secs(300);

/// What guest (a)'s disk holds.
const HELLO: &str = "hello from an ext4 disk\n";

/// The lines guest (a)'s init prints (its results are QEMU's too, compared below).
const INIT_LINES: &[&str] = &[
    INIT_STARTED,
    "debian-init: modules: virtio_mmio virtio_blk crc32c_generic jbd2 mbcache crc16 ext4 ",
    "debian-init: /dev/vda holds: hello.txt lost+found ",
    "debian-init: hello.txt: hello from an ext4 disk",
    "debian-init: sum 450015000",
    "debian-init: md5 47430ba0165cae5cc8727b6d7eea3d1d  -",
    "debian-init: done",
];

/// Kernel log lines that differ between QEMU 7.2 and ospite because the machines differ,
/// each with the reason. Lines starting so are left out on both sides.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "riscv: base ISA extensions ",
        "QEMU's hart has the hypervisor extension (h); ours does not",
    ),
    (
        "Memory: ",
        "the kernel reserves the device tree's pages: QEMU's tree is larger than ours",
    ),
    (
        "riscv-pmu-sbi: ",
        "QEMU's hart has programmable hardware counters (OpenSBI finds 18); ours has 2",
    ),
    (
        "pci-host-generic ",
        "QEMU's virt has a PCIe host bridge; ours has none",
    ),
    (
        "pci_bus ",
        "QEMU's virt has a PCIe host bridge; ours has none",
    ),
    (
        "pci 0000:",
        "QEMU's virt has a PCIe host bridge; ours has none",
    ),
];

/// Prefixes of kernel log lines whose figures are times, dates or speeds measured by the
/// guest: such a line is compared up to its prefix only.
const TIMED: &[&str] = &[
    "node 0 deferred pages initialised in ",
    "audit: type=2000 audit(",
    "goldfish_rtc 101000.rtc: setting system clock to ",
    // The kernel times byte against word accesses and calls the result fast or slow.
    "cpu0: Ratio of byte access time to unaligned word access is ",
];

/// Prefixes of lines printed by asynchronous work (the initramfs is unpacked by an async
/// initcall, which other initcalls run beside), whose place depends on timing: they are
/// compared after the rest, sorted.
const UNORDERED: &[&str] = &[
    "Trying to unpack rootfs image as initramfs...",
    "Freeing initrd memory: ",
    "Initialise system trusted keyrings",
    "random: crng init done",
];

/// The kernel's log from its banner to its power-off, without timestamps, with addresses
/// and [`TIMED`] figures masked, without [`KNOWN_DIFFERENCES`], the [`UNORDERED`] lines last
/// and sorted. The init's own lines are left out (they are compared on their own): the kernel
/// prints beside them as it likes (its `EXT4-fs (vda): mounted filesystem` came before or
/// after the init's module list, from run to run).
fn comparable(text: &str) -> Vec<String> {
    let log: Vec<String> = lines(text)
        .into_iter()
        .skip_while(|l| !l.contains("Linux version"))
        .take_while(|l| !l.contains("reboot: Power down"))
        .map(|l| match l.find("] ") {
            Some(i) if l.starts_with('[') => l[i + 2..].to_owned(),
            _ => l,
        })
        .filter(|l| !KNOWN_DIFFERENCES.iter().any(|(p, _)| l.starts_with(p)))
        .filter(|l| !l.starts_with("debian-init: "))
        .map(|l| match TIMED.iter().find(|p| l.starts_with(*p)) {
            Some(p) => format!("{p}..."),
            None => mask_addresses(&l),
        })
        .collect();
    let (mut unordered, ordered): (Vec<String>, Vec<String>) = log
        .into_iter()
        .partition(|l| UNORDERED.iter().any(|p| l.starts_with(p)));
    unordered.sort();
    ordered.into_iter().chain(unordered).collect()
}

/// `0x` followed by hex digits becomes `0x?`: where the kernel puts its own data depends on
/// the size of the device tree.
fn mask_addresses(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find("0x") {
        out.push_str(&rest[..i + 2]);
        rest = rest[i + 2..].trim_start_matches(|c: char| c.is_ascii_hexdigit());
        out.push('?');
    }
    out.push_str(rest);
    out
}

/// Where two logs part, and the lines that only one of them has, for a failure message.
fn difference(ours: &[String], theirs: &[String]) -> String {
    let at = ours.iter().zip(theirs).take_while(|(a, b)| a == b).count();
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|l| !b.contains(l)).cloned().collect()
    };
    format!(
        "the logs part at line {at}: ours {:?}, QEMU's {:?}\nonly ours: {:#?}\nonly QEMU's: {:#?}",
        ours.get(at),
        theirs.get(at),
        only(ours, theirs),
        only(theirs, ours)
    )
}

/// The init's lines of a console.
fn init_lines(text: &str) -> Vec<String> {
    lines(text)
        .into_iter()
        .filter(|l| l.starts_with("debian-init: "))
        .collect()
}

/// Guest (a) on QEMU, once for every test: its console.
fn qemu_kernel_console() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        let dir = scratch("debian-kernel-qemu");
        let disk = ext4_disk(&dir, "disk.img", &[("hello.txt", HELLO)]);
        let started = Instant::now();
        let qemu = Qemu::spawn(qemu_command(Guest::Kernel, Some(&disk)));
        let (status, text) = qemu.finish(STEP);
        println!("QEMU: powered off after {:?}", started.elapsed());
        assert_eq!(status, Some(0), "{text}");
        let _ = std::fs::remove_dir_all(&dir);
        text
    })
}

fn kernel_guest_prints_what_qemu_prints(engine: EngineKind) {
    let dir = scratch(&format!("debian-kernel-{engine:?}"));
    let disk = ext4_disk(&dir, "disk.img", &[("hello.txt", HELLO)]);
    let started = Instant::now();
    let vm = Running::start(vm_config(Guest::Kernel, engine, Some(&disk)));
    vm.wait_for(INIT_STARTED, 0, STEP);
    println!(
        "{engine:?}: init's first line after {:?}",
        started.elapsed()
    );
    let (report, text) = vm.finish();
    println!(
        "{engine:?}: {} after {:?}; {}",
        report.exit,
        started.elapsed(),
        report.stats
    );
    assert_eq!(report.exit, ExitReason::PowerOff(0), "{text}");

    assert_eq!(init_lines(&text), INIT_LINES, "{text}");
    let qemu = qemu_kernel_console();
    assert_eq!(init_lines(qemu), INIT_LINES, "{qemu}");
    let (ours, theirs) = (comparable(&text), comparable(qemu));
    assert!(ours.len() > 150, "{text}");
    assert!(ours == theirs, "{}", difference(&ours, &theirs));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn debian_kernel_loads_its_modules_reads_ext4_and_prints_what_qemu_prints_on_the_interpreter() {
    kernel_guest_prints_what_qemu_prints(EngineKind::Interp);
}

#[test]
fn debian_kernel_loads_its_modules_reads_ext4_and_prints_what_qemu_prints_on_the_translator() {
    kernel_guest_prints_what_qemu_prints(EngineKind::Dbt);
}

#[test]
fn debian_system_boots_to_login_runs_its_programs_and_powers_off_on_the_translator() {
    let built = Guest::System.built();
    let dir = scratch("debian-system-dbt");
    let image = built
        .image
        .as_ref()
        .expect("build.sh system names its image");
    let disk = copy_image(image, &dir, "rootfs.img");
    let started = Instant::now();
    let vm = Running::start(vm_config(Guest::System, EngineKind::Dbt, Some(&disk)));
    let handle = vm.handle.clone();
    let outputs: Vec<Vec<String>> = {
        let mut shell = log_in(
            &vm.console,
            Box::new(move |b: &[u8]| handle.send_input(b)),
            STEP,
        );
        println!("logged in after {:?}", started.elapsed());
        let outputs = [
            "cat /etc/debian_version",
            "sqlite3 :memory: 'create table t(x); insert into t values (4), (5), (6); \
             select count(*), sum(x) from t;'",
            "python3 -c 'print(sum(i * i for i in range(1000)))'",
            "lua5.4 -e 'print(string.rep(\"ab\", 3), 7 // 2)'",
        ]
        .iter()
        .map(|c| shell.run(c))
        .collect();
        shell.last("poweroff");
        outputs
    };
    let (report, text) = vm.finish();
    println!(
        "powered off after {:?}; {}",
        started.elapsed(),
        report.stats
    );
    assert_eq!(report.exit, ExitReason::PowerOff(0), "{text}");
    assert!(
        text.contains("Debian GNU/Linux 13 ospite-debian ttyS0"),
        "{text}"
    );
    assert_eq!(outputs[0].len(), 1, "{text}");
    assert!(outputs[0][0].starts_with("13."), "{text}");
    assert_eq!(
        outputs[1..],
        [
            vec!["3|15".to_owned()],
            vec!["332833500".to_owned()],
            vec!["ababab\t3".to_owned()],
        ],
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
