//! A tiny test board shared by the differential test and the guest benchmark: RAM at
//! `0x8000_0000`, a 16550-style UART stub at `0x1000_0000` that captures what the guest prints,
//! and the SiFive test finisher at `0x10_0000`, the three pieces of QEMU's `virt` machine a
//! bare-metal guest touches. Also the cross toolchain and QEMU, run as child processes.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ospite_interp::{Engine, Hart, HartConfig, Interpreter, StopHandle, StopReason};
use ospite_mmu::{AccessSize, Device, DeviceError, GuestRam, MemoryMap, PhysAddr};

/// Where RAM starts, as on QEMU's `virt`.
pub const RAM_BASE: u64 = 0x8000_0000;
/// The UART's base, as on QEMU's `virt`.
pub const UART_BASE: u64 = 0x1000_0000;
/// The SiFive test finisher's base, as on QEMU's `virt`.
pub const FINISHER_BASE: u64 = 0x10_0000;

/// A UART that is always ready to send (LSR reads THRE|TEMT) and keeps every byte written to
/// its transmit register.
#[derive(Default)]
struct Uart {
    out: Arc<Mutex<Vec<u8>>>,
}

impl Device for Uart {
    fn read(&mut self, offset: u64, _size: AccessSize) -> Result<u64, DeviceError> {
        Ok(if offset == 5 { 0x60 } else { 0 })
    }
    fn write(&mut self, offset: u64, _size: AccessSize, value: u64) -> Result<(), DeviceError> {
        if offset == 0 {
            self.out.lock().unwrap().push(value as u8);
        }
        Ok(())
    }
}

/// How a guest ended, as the test finisher saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// `0x5555` was written.
    Pass,
    /// `(code << 16) | 0x3333` was written.
    Fail(u32),
    /// The instruction budget ran out first.
    Timeout,
}

/// The SiFive test device: remembers the first word written and stops the engine, so that
/// `minstret` counts the guest's work and not the spin after it.
#[derive(Default)]
struct Finisher {
    exit: Arc<Mutex<Option<Exit>>>,
    stop: Arc<Mutex<Option<StopHandle>>>,
}

impl Device for Finisher {
    fn read(&mut self, _offset: u64, _size: AccessSize) -> Result<u64, DeviceError> {
        Ok(0)
    }
    fn write(&mut self, offset: u64, _size: AccessSize, value: u64) -> Result<(), DeviceError> {
        let mut exit = self.exit.lock().unwrap();
        if offset == 0 && exit.is_none() {
            *exit = match value & 0xffff {
                0x5555 => Some(Exit::Pass),
                0x3333 => Some(Exit::Fail((value >> 16) as u32 & 0xffff)),
                _ => None,
            };
            if let Some(stop) = &*self.stop.lock().unwrap() {
                stop.stop();
            }
        }
        Ok(())
    }
}

/// What a run on our interpreter gave.
pub struct Run {
    /// The bytes the guest printed.
    pub output: Vec<u8>,
    /// How it ended.
    pub exit: Exit,
    /// Guest instructions retired (`minstret`).
    pub instret: u64,
    /// Wall time of the run (loading excluded).
    pub wall: Duration,
}

/// Runs the flat image `image` (linked at `RAM_BASE`) on our interpreter in M-mode from
/// `RAM_BASE` with `ram_size` bytes of RAM, for at most `budget` instructions.
pub fn run_ours(image: &[u8], ram_size: u64, budget: u64) -> Run {
    run_engine(image, ram_size, budget, |hart, map| {
        let mut cpu = Interpreter::new(hart, map);
        // The guest's own trap handler reports traps; `ebreak` must not stop the run.
        cpu.set_debug_breakpoints(false);
        let stop = cpu.stop_handle();
        (cpu, stop)
    })
}

/// [`run_ours`] on any engine, which `make` builds from the hart and the board's memory map
/// (and returns with its stop handle).
pub fn run_engine<E: Engine>(
    image: &[u8],
    ram_size: u64,
    budget: u64,
    make: impl FnOnce(Hart, MemoryMap) -> (E, StopHandle),
) -> Run {
    let out = Arc::new(Mutex::new(Vec::new()));
    let exit = Arc::new(Mutex::new(None));
    let uart = Uart { out: out.clone() };
    let stop = Arc::new(Mutex::new(None));
    let finisher = Finisher {
        exit: exit.clone(),
        stop: stop.clone(),
    };
    let ram = Arc::new(GuestRam::new(ram_size).expect("guest RAM"));
    let map = MemoryMap::builder()
        .ram("ram", PhysAddr(RAM_BASE), ram)
        .device(
            "uart",
            PhysAddr(UART_BASE),
            0x100,
            Arc::new(Mutex::new(uart)),
        )
        .device(
            "finisher",
            PhysAddr(FINISHER_BASE),
            0x1000,
            Arc::new(Mutex::new(finisher)),
        )
        .build()
        .expect("memory map");
    map.write_bytes(PhysAddr(RAM_BASE), image)
        .expect("image fits in RAM");
    let mut hart = Hart::new(HartConfig::default());
    hart.set_pc(RAM_BASE);
    let (mut cpu, handle) = make(hart, map);
    *stop.lock().unwrap() = Some(handle);
    const CHUNK: u64 = 1 << 20;
    let start = Instant::now();
    let mut spent = 0;
    let result = loop {
        if let Some(e) = *exit.lock().unwrap() {
            break e;
        }
        if spent >= budget {
            break Exit::Timeout;
        }
        let n = CHUNK.min(budget - spent);
        let before = cpu.hart().instret();
        let stop = cpu.run(n);
        spent += n;
        if stop == StopReason::Wfi && cpu.hart().instret() == before {
            break Exit::Timeout;
        }
    };
    let wall = start.elapsed();
    let output = std::mem::take(&mut *out.lock().unwrap());
    Run {
        output,
        exit: result,
        instret: cpu.hart().instret(),
        wall,
    }
}

/// What a run under QEMU gave.
pub struct QemuRun {
    /// The bytes the guest printed.
    pub output: Vec<u8>,
    /// QEMU's exit status (0 after `0x5555`).
    pub status: Option<i32>,
    /// Wall time of the whole QEMU process, start-up included.
    pub wall: Duration,
}

/// A QEMU process running `elf` on `virt` with no firmware.
pub struct QemuChild {
    child: std::process::Child,
    start: Instant,
    timeout: Duration,
}

/// Starts `qemu-system-riscv64 -machine virt -bios none -kernel ELF -nographic`.
pub fn spawn_qemu(elf: &Path, timeout: Duration) -> QemuChild {
    let child = Command::new("qemu-system-riscv64")
        .args(["-machine", "virt", "-bios", "none", "-nographic", "-kernel"])
        .arg(elf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("qemu-system-riscv64 (Debian: qemu-system-misc) must be installed");
    QemuChild {
        child,
        start: Instant::now(),
        timeout,
    }
}

impl QemuChild {
    /// Waits for QEMU to exit (killing it after the timeout) and collects what it printed.
    pub fn wait(mut self) -> QemuRun {
        use std::io::Read;
        let mut stdout = self.child.stdout.take().expect("piped stdout");
        let reader = std::thread::spawn(move || {
            let mut buf = Vec::new();
            stdout.read_to_end(&mut buf).map(|_| buf)
        });
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("waiting for qemu") {
                break s.code();
            }
            if self.start.elapsed() > self.timeout {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let wall = self.start.elapsed();
        let output = reader.join().expect("reader thread").expect("qemu stdout");
        QemuRun {
            output,
            status,
            wall,
        }
    }
}

/// The linker script: everything from `RAM_BASE`, `.text.init` first, the writable data from
/// a page of its own (as GNU ld's default script lays out an ELF's data segment: code and
/// data never share a page), a stack after `.bss`.
pub const LINKER_SCRIPT: &str = "\
OUTPUT_ARCH(riscv)
ENTRY(_start)
SECTIONS {
  . = 0x80000000;
  .text : { *(.text.init) *(.text .text.*) }
  .rodata : { *(.rodata .rodata.* .srodata .srodata.*) }
  . = ALIGN(4096);
  .data : { *(.data .data.* .sdata .sdata.*) }
  . = ALIGN(8);
  __global_pointer$ = . + 0x800;
  .bss : { __bss_start = .; *(.bss .bss.* .sbss .sbss.* COMMON) . = ALIGN(8); __bss_end = .; }
  . = ALIGN(16);
  . += 0x20000;
  __stack_top = .;
}
";

/// A scratch directory under the cargo target directory (or the system temp directory).
pub fn scratch_dir(name: &str) -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join("target")
        });
    let dir = base
        .join("ospite-guests")
        .join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Compiles and links `sources` (C or assembly) with `riscv64-unknown-elf-gcc` and the linker
/// script above into `out` (an ELF), and returns the flat image `objcopy -O binary` makes of it.
pub fn build_guest(sources: &[PathBuf], extra_flags: &[&str], out: &Path) -> Vec<u8> {
    let dir = out.parent().expect("output directory");
    let ld = dir.join("guest.ld");
    std::fs::write(&ld, LINKER_SCRIPT).expect("writing the linker script");
    let status = Command::new("riscv64-unknown-elf-gcc")
        .args([
            "-mabi=lp64d",
            "-mcmodel=medany",
            "-nostdlib",
            "-nostartfiles",
            "-ffreestanding",
            "-static",
            "-Wl,--no-warn-rwx-segments",
        ])
        .args(extra_flags)
        .arg("-T")
        .arg(&ld)
        .args(sources)
        .arg("-o")
        .arg(out)
        .arg("-lgcc")
        .status()
        .expect("riscv64-unknown-elf-gcc (Debian: gcc-riscv64-unknown-elf) must be installed");
    assert!(status.success(), "building {} failed", out.display());
    let bin = out.with_extension("bin");
    let status = Command::new("riscv64-unknown-elf-objcopy")
        .args(["-O", "binary"])
        .arg(out)
        .arg(&bin)
        .status()
        .expect("riscv64-unknown-elf-objcopy must be installed");
    assert!(status.success(), "objcopy of {} failed", out.display());
    std::fs::read(&bin).expect("reading the flat image")
}
