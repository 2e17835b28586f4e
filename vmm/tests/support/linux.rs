//! The Linux guest of `guests/linux`: building (or reusing) its kernel and initramfs, making
//! ext2 disks, and typing commands at its init's prompt, on ospite or on QEMU.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The init's prompt.
pub const PROMPT: &str = "ospite# ";
/// The kernel command line: the console on UART0.
pub const APPEND: &str = "console=ttyS0";
/// Guest RAM for the Linux guests, as in the benchmark.
pub const MEMORY: u64 = 256 << 20;
/// The firmware both machines boot.
pub const FW: &str = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf";

/// The kernel `Image` and the initramfs, built by `guests/linux/build.sh` on first use (about
/// two minutes) and cached from then on.
pub fn artifacts() -> &'static (PathBuf, PathBuf) {
    static BUILT: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    BUILT.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../guests/linux/build.sh");
        let out = Command::new("bash")
            .arg(&script)
            .stderr(Stdio::inherit())
            .output()
            .expect("bash runs guests/linux/build.sh");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "guests/linux/build.sh failed (see its messages above): {stdout}"
        );
        let get = |key: &str| {
            stdout
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(PathBuf::from)
                .unwrap_or_else(|| panic!("build.sh printed no {key}: {stdout}"))
        };
        (get("KERNEL="), get("INITRD="))
    })
}

/// An ext2 image of 8 MiB at `dir/name`, holding `files` (name, contents) at its root,
/// made with `mkfs.ext2 -d` from e2fsprogs.
pub fn make_disk(dir: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = dir.join(format!("{name}.root"));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    for (file, contents) in files {
        std::fs::write(root.join(file), contents).unwrap();
    }
    let image = dir.join(name);
    let _ = std::fs::remove_file(&image);
    let status = Command::new("mkfs.ext2")
        .args(["-q", "-d"])
        .arg(&root)
        .arg(&image)
        .arg("8M")
        .status()
        .expect("mkfs.ext2 (Debian's e2fsprogs) is installed");
    assert!(status.success(), "mkfs.ext2 failed");
    image
}

/// A file of an ext2 image, read on the host with `debugfs -R 'cat PATH'`.
pub fn debugfs_cat(image: &Path, path: &str) -> String {
    let out = Command::new("debugfs")
        .arg("-R")
        .arg(format!("cat {path}"))
        .arg(image)
        .stderr(Stdio::null())
        .output()
        .expect("debugfs (Debian's e2fsprogs) is installed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The lines of a console transcript, without carriage returns.
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.trim_end_matches('\r').to_owned())
        .collect()
}

/// Sends bytes to a console.
pub type Sender<'a> = Box<dyn Fn(&[u8]) + Send + Sync + 'a>;

/// A console to type at: the text so far, and a way to send input.
pub struct Shell<'a> {
    /// The console output so far.
    pub output: &'a Mutex<Vec<u8>>,
    /// Sends bytes to the console.
    pub send: Sender<'a>,
    /// Where the last prompt ended.
    pub at: usize,
    /// How long each step may take.
    pub timeout: Duration,
}

impl<'a> Shell<'a> {
    /// Waits for the first prompt.
    pub fn new(output: &'a Mutex<Vec<u8>>, send: Sender<'a>, timeout: Duration) -> Shell<'a> {
        let at = super::wait_for_text(output, PROMPT, 0, timeout);
        Shell {
            output,
            send,
            at,
            timeout,
        }
    }

    /// Types `line` and returns its output lines, once the next prompt is shown.
    pub fn run(&mut self, line: &str) -> Vec<String> {
        (self.send)(format!("{line}\n").as_bytes());
        let end = super::wait_for_text(self.output, PROMPT, self.at, self.timeout);
        let text = String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned();
        let out = &text[self.at..end - PROMPT.len()];
        self.at = end;
        // The terminal echoes the command line first.
        lines(out).into_iter().skip(1).collect()
    }

    /// Types `line` with no prompt to follow (`poweroff`, `exit`).
    pub fn last(&mut self, line: &str) {
        (self.send)(format!("{line}\n").as_bytes());
    }
}

/// `qemu-system-riscv64` running in the background, its console captured and its standard
/// input ours to write.
pub struct Qemu {
    child: Child,
    stdin: Mutex<ChildStdin>,
    /// The console output so far.
    pub output: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Qemu {
    /// QEMU virt with the same firmware, kernel, initramfs, command line, RAM and disk.
    pub fn start(disk: Option<&Path>) -> Qemu {
        let (kernel, initrd) = artifacts();
        let mut cmd = Command::new("qemu-system-riscv64");
        cmd.args(["-machine", "virt", "-nographic", "-m"])
            .arg(format!("{}M", MEMORY >> 20))
            .args(["-bios", FW, "-kernel"])
            .arg(kernel)
            .arg("-initrd")
            .arg(initrd)
            .args(["-append", APPEND]);
        if let Some(disk) = disk {
            cmd.arg("-drive")
                .arg(format!("file={},format=raw,if=none,id=d0", disk.display()))
                .args(["-device", "virtio-blk-device,drive=d0"]);
        }
        Qemu::spawn(cmd)
    }

    /// Starts `cmd`, a `qemu-system-riscv64` command line, with its console captured.
    pub fn spawn(mut cmd: Command) -> Qemu {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("qemu-system-riscv64 (Debian's qemu-system-misc) is installed");
        let stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let output = Arc::new(Mutex::new(Vec::new()));
        let o2 = output.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                o2.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Qemu {
            child,
            stdin: Mutex::new(stdin),
            output,
            reader: Some(reader),
        }
    }

    /// Sends `bytes` to the console.
    pub fn send(&self, bytes: &[u8]) {
        let mut s = self.stdin.lock().unwrap();
        let _ = s.write_all(bytes);
        let _ = s.flush();
    }

    /// Waits for QEMU to exit (killing it after `timeout`); returns its status and output.
    pub fn finish(mut self, timeout: Duration) -> (Option<i32>, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s.code();
            }
            if start.elapsed() > timeout {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let text = String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned();
        (status, text)
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
