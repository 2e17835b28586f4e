//! The Debian guests of `guests/debian`: building (or reusing) them, giving each boot its own
//! copy of a disk, the same machine on ospite and on QEMU, and logging in to the system.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use ospite_vmm::{DriveConfig, EngineKind, Firmware, VmConfig};

use super::linux::{Sender, Shell, FW};

/// Guest RAM for the Debian guests.
pub const MEMORY: u64 = 512 << 20;
/// The kernel command line of guest (a), the kernel and its busybox initramfs.
pub const KERNEL_APPEND: &str = "console=ttyS0";
/// The kernel command line of guest (b), the system on its ext4 image.
pub const SYSTEM_APPEND: &str = "console=ttyS0 root=/dev/vda rw";
/// The first line of guest (a)'s init.
pub const INIT_STARTED: &str = "debian-init: started";
/// What systemd's serial getty shows when the system is up.
pub const LOGIN: &str = "login: ";

/// One of the two guests that `guests/debian/build.sh` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guest {
    /// (a) The distribution kernel with an initramfs of busybox-static and its modules.
    Kernel,
    /// (b) A minimal Debian trixie system on an ext4 image, with its kernel and initrd.
    System,
}

/// A guest's files in the cache. Boots never write `image`; they get a copy ([`copy_image`]).
#[derive(Clone, Debug)]
pub struct Built {
    /// The kernel `Image`.
    pub kernel: PathBuf,
    /// The initramfs or initrd.
    pub initrd: PathBuf,
    /// The system's disk image (guest (b) only).
    pub image: Option<PathBuf>,
}

impl Guest {
    /// Builds the guest on first use (guest (a) in about 15 s, (b) in about 6 minutes) or
    /// finds it in the cache. A missing tool makes the script stop with the package to install,
    /// and this panics with its message.
    pub fn built(self) -> &'static Built {
        static KERNEL: OnceLock<Built> = OnceLock::new();
        static SYSTEM: OnceLock<Built> = OnceLock::new();
        let (cell, what) = match self {
            Guest::Kernel => (&KERNEL, "kernel"),
            Guest::System => (&SYSTEM, "system"),
        };
        cell.get_or_init(|| build(what))
    }

    /// The guest's kernel command line.
    pub fn append(self) -> &'static str {
        match self {
            Guest::Kernel => KERNEL_APPEND,
            Guest::System => SYSTEM_APPEND,
        }
    }
}

fn build(what: &str) -> Built {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../guests/debian/build.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(what)
        .stderr(Stdio::piped())
        .output()
        .expect("bash runs guests/debian/build.sh");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    eprint!("{stderr}");
    assert!(
        out.status.success(),
        "guests/debian/build.sh {what} failed:\n{stderr}{stdout}"
    );
    let get = |key: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(PathBuf::from)
    };
    let must =
        |key: &str| get(key).unwrap_or_else(|| panic!("build.sh printed no {key}: {stdout}"));
    Built {
        kernel: must("KERNEL="),
        initrd: must("INITRD="),
        image: get("IMAGE="),
    }
}

/// A copy of `image` at `dir/name` for one boot, so the cached image stays as built:
/// copy-on-write where the file system can, else a sparse copy.
pub fn copy_image(image: &Path, dir: &Path, name: &str) -> PathBuf {
    let copy = dir.join(name);
    let _ = std::fs::remove_file(&copy);
    let status = Command::new("cp")
        .args(["--reflink=auto", "--sparse=always"])
        .arg(image)
        .arg(&copy)
        .status()
        .expect("cp runs");
    assert!(
        status.success(),
        "cp {} {} failed",
        image.display(),
        copy.display()
    );
    copy
}

/// The UUID of every disk [`ext4_disk`] makes, so that the kernel's mount lines agree
/// between machines.
const DISK_UUID: &str = "0e5b1f2c-7c9a-4f53-9d1e-05d6dd4054ae";

/// An ext4 image of 8 MiB at `dir/name` holding `files` (name, contents), made with
/// `mkfs.ext4 -d` from e2fsprogs.
pub fn ext4_disk(dir: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = dir.join(format!("{name}.root"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    for (file, contents) in files {
        std::fs::write(root.join(file), contents).unwrap();
    }
    let image = dir.join(name);
    let _ = std::fs::remove_file(&image);
    let status = Command::new("mkfs.ext4")
        .args(["-q", "-U", DISK_UUID, "-d"])
        .arg(&root)
        .arg(&image)
        .arg("8M")
        .stdout(Stdio::null())
        .status()
        .expect("mkfs.ext4 (Debian's e2fsprogs) is installed");
    assert!(status.success(), "mkfs.ext4 failed");
    image
}

/// ospite's configuration for `guest` on `engine`, booting `disk`.
pub fn vm_config(guest: Guest, engine: EngineKind, disk: Option<&Path>) -> VmConfig {
    let built = guest.built();
    VmConfig {
        name: format!("debian-{guest:?}"),
        bios: Firmware::Path(PathBuf::from(FW)),
        kernel: Some(built.kernel.clone()),
        initrd: Some(built.initrd.clone()),
        append: Some(guest.append().into()),
        memory: MEMORY,
        drive: disk.map(|p| DriveConfig {
            path: p.to_owned(),
            readonly: false,
        }),
        time_limit: Some(Duration::from_secs(900)),
        engine,
        ..VmConfig::default()
    }
}

/// `ospite run` for `guest` on `engine` (`interp` or `dbt`), booting `disk`.
pub fn ospite_command(ospite: &str, guest: Guest, engine: &str, disk: Option<&Path>) -> Command {
    let built = guest.built();
    let mut c = Command::new(ospite);
    c.args(["run", "--engine", engine, "-m"])
        .arg(format!("{}M", MEMORY >> 20))
        .args(["--bios", FW, "--kernel"])
        .arg(&built.kernel)
        .arg("--initrd")
        .arg(&built.initrd)
        .args(["--append", guest.append()]);
    if let Some(disk) = disk {
        c.arg("--drive").arg(disk);
    }
    c
}

/// `qemu-system-riscv64 -machine virt` with the same firmware, kernel, initrd, command line,
/// RAM and disk.
pub fn qemu_command(guest: Guest, disk: Option<&Path>) -> Command {
    let built = guest.built();
    let mut c = Command::new("qemu-system-riscv64");
    c.args(["-machine", "virt", "-nographic", "-m"])
        .arg(format!("{}M", MEMORY >> 20))
        .args(["-bios", FW, "-kernel"])
        .arg(&built.kernel)
        .arg("-initrd")
        .arg(&built.initrd)
        .args(["-append", guest.append()]);
    if let Some(disk) = disk {
        c.arg("-drive")
            .arg(format!("file={},format=raw,if=none,id=d0", disk.display()))
            .args(["-device", "virtio-blk-device,drive=d0"]);
    }
    c
}

/// Logs in as root (no password) at the serial `login:` and leaves a plain shell whose
/// prompt is `ospite# ` (the Linux guest's, so that [`Shell`] serves both): `dash`, which has
/// no line editor to send escape sequences, with the kernel's console messages off, so that
/// command output holds only what the commands print.
pub fn log_in<'a>(output: &'a Mutex<Vec<u8>>, send: Sender<'a>, timeout: Duration) -> Shell<'a> {
    let at = super::wait_for_text(output, LOGIN, 0, timeout);
    send(b"root\n");
    super::wait_for_text(output, "# ", at, timeout);
    // The prompt is split in the command so that its echo does not show it.
    send(b"dmesg -n 1; exec env PS1='ospite''# ' /bin/sh\n");
    Shell::new(output, send, timeout)
}
