//! Bare-metal attack guests, assembled with `ospite-isa`'s assembler: M-mode programs at
//! 0x8000_0000 that drive the board's devices directly and report through the test finisher
//! (exit status 0 for success, or the failure code of the check that failed), and the `ospite`
//! binary run on them as a child process, timed, with its peak memory (VmHWM) read from /proc.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ospite_isa::asm::{Assembler, Label};
use ospite_isa::XReg as R;

/// The test finisher.
pub const TEST: u64 = 0x10_0000;
/// UART0.
pub const UART: u64 = 0x1000_0000;
/// The virtio-blk transport (slot 7).
pub const BLK: u64 = 0x1000_8000;
/// Guest RAM.
pub const RAM: u64 = 0x8000_0000;
/// Where the guest keeps its virtqueue: descriptor table, available and used rings.
pub const DESC: u64 = RAM + 0x10_0000;
/// The available ring.
pub const AVAIL: u64 = RAM + 0x10_1000;
/// The used ring.
pub const USED: u64 = RAM + 0x10_2000;
/// Request headers (16 bytes each, 0x100 apart).
pub const HDR: u64 = RAM + 0x10_3000;
/// Status bytes (0x100 apart).
pub const STATUS: u64 = RAM + 0x10_4000;
/// A data buffer.
pub const DATA: u64 = RAM + 0x20_0000;

/// virtio-mmio registers.
pub mod reg {
    pub const STATUS: u64 = 0x070;
    pub const QUEUE_NOTIFY: u64 = 0x050;
    pub const QUEUE_NUM: u64 = 0x038;
    pub const QUEUE_READY: u64 = 0x044;
}

/// Descriptor flags.
pub const NEXT: u16 = 1;
/// The buffer is device-writable.
pub const WRITE: u16 = 2;
/// Device status: needs reset.
pub const NEEDS_RESET: u32 = 64;

/// A guest under construction.
pub struct Guest {
    pub a: Assembler,
}

impl Default for Guest {
    fn default() -> Self {
        Guest::new()
    }
}

impl Guest {
    pub fn new() -> Guest {
        let mut a = Assembler::new(RAM);
        a.li(R::SP, (RAM + 0x8_0000) as i64);
        Guest { a }
    }

    /// Stores `v` at `addr` with width `bytes`.
    pub fn store(&mut self, bytes: u8, addr: u64, v: u64) {
        self.a.li(R::T0, addr as i64);
        self.a.li(R::T1, v as i64);
        match bytes {
            1 => self.a.sb(R::T1, 0, R::T0),
            2 => self.a.sh(R::T1, 0, R::T0),
            4 => self.a.sw(R::T1, 0, R::T0),
            _ => self.a.sd(R::T1, 0, R::T0),
        }
    }

    /// Loads `bytes` (zero-extended) from `addr` into `rd`.
    pub fn load(&mut self, rd: R, bytes: u8, addr: u64) {
        self.a.li(R::T0, addr as i64);
        match bytes {
            1 => self.a.lbu(rd, 0, R::T0),
            2 => self.a.lhu(rd, 0, R::T0),
            4 => self.a.lwu(rd, 0, R::T0),
            _ => self.a.ld(rd, 0, R::T0),
        }
    }

    /// A 32-bit write to virtio-blk register `offset`.
    pub fn blk(&mut self, offset: u64, v: u64) {
        self.store(4, BLK + offset, v);
    }

    /// Powers off: success for 0, else failure `code` (the process's exit status).
    pub fn exit(&mut self, code: u32) {
        let v = if code == 0 {
            0x5555
        } else {
            u64::from(code) << 16 | 0x3333
        };
        self.store(4, TEST, v);
        let spin = self.a.here();
        self.a.j(spin);
    }

    /// Exits with `code` unless `rd & mask == want`.
    pub fn check(&mut self, rd: R, mask: u64, want: u64, code: u32) {
        let ok = self.a.new_label();
        self.a.li(R::T2, mask as i64);
        self.a.and(rd, rd, R::T2);
        self.a.li(R::T2, want as i64);
        self.a.beq(rd, R::T2, ok);
        self.exit(code);
        self.a.bind(ok);
    }

    /// Exits with `code` unless the block device's status has (or, with `set` false, lacks)
    /// `DEVICE_NEEDS_RESET`.
    pub fn check_needs_reset(&mut self, set: bool, code: u32) {
        self.load(R::S0, 4, BLK + reg::STATUS);
        let want = if set { NEEDS_RESET } else { 0 };
        self.check(R::S0, u64::from(NEEDS_RESET), u64::from(want), code);
    }

    /// A driver's setup of the block device: reset, features (VERSION_1), one queue of
    /// `size` at [`DESC`], [`AVAIL`], [`USED`], DRIVER_OK.
    pub fn setup_blk(&mut self, size: u32) {
        self.setup_blk_at(size, DESC, AVAIL, USED);
    }

    /// [`Guest::setup_blk`] with the rings where the caller says.
    pub fn setup_blk_at(&mut self, size: u32, desc: u64, avail: u64, used: u64) {
        self.blk(reg::STATUS, 0);
        self.blk(reg::STATUS, 3);
        self.blk(0x024, 1);
        self.blk(0x020, 1);
        self.blk(reg::STATUS, 11);
        self.blk(0x030, 0);
        self.blk(reg::QUEUE_NUM, u64::from(size));
        for (r, addr) in [(0x080, desc), (0x090, avail), (0x0a0, used)] {
            self.blk(r, addr & 0xffff_ffff);
            self.blk(r + 4, addr >> 32);
        }
        self.blk(reg::QUEUE_READY, 1);
        self.blk(reg::STATUS, 15);
    }

    /// Writes descriptor `i`.
    pub fn desc(&mut self, i: u64, addr: u64, len: u32, flags: u16, next: u16) {
        let at = DESC + 16 * i;
        self.store(8, at, addr);
        self.store(4, at + 8, u64::from(len));
        self.store(2, at + 12, u64::from(flags));
        self.store(2, at + 14, u64::from(next));
    }

    /// A request header at `HDR + 0x100 * n`: type and sector.
    pub fn header(&mut self, n: u64, kind: u32, sector: u64) -> u64 {
        let at = HDR + 0x100 * n;
        self.store(4, at, u64::from(kind));
        self.store(4, at + 4, 0);
        self.store(8, at + 8, sector);
        at
    }

    /// Puts `head` in available slot `slot`.
    pub fn avail(&mut self, slot: u64, head: u16) {
        self.store(2, AVAIL + 4 + 2 * slot, u64::from(head));
    }

    /// Sets the available index.
    pub fn avail_idx(&mut self, idx: u16) {
        self.store(2, AVAIL + 2, u64::from(idx));
    }

    /// Notifies queue 0.
    pub fn notify(&mut self) {
        self.blk(reg::QUEUE_NOTIFY, 0);
    }

    /// A label for a loop.
    pub fn here(&mut self) -> Label {
        self.a.here()
    }

    /// The program's bytes.
    pub fn finish(self) -> Vec<u8> {
        self.a.finish().expect("the guest assembles").bytes
    }
}

/// How a run of `ospite` ended.
#[derive(Debug)]
pub struct Outcome {
    /// The exit status.
    pub status: Option<i32>,
    /// From start to exit.
    pub elapsed: Duration,
    /// The peak resident set (VmHWM) in KiB, as last read before the exit.
    pub hwm_kib: u64,
    /// Standard output's length in bytes.
    pub stdout_len: u64,
    /// Its longest line in bytes.
    pub longest_line: u64,
    /// Its first 64 KiB.
    pub stdout_head: String,
    /// Standard error.
    pub stderr: String,
}

fn hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `ospite` with `args`, killing it after `kill_after` if it has not exited.
pub fn run_ospite(ospite: &Path, args: &[String], kill_after: Duration) -> Outcome {
    let mut child = Command::new(ospite)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ospite starts");
    let pid = child.id();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let (mut len, mut line, mut longest) = (0u64, 0u64, 0u64);
        let mut head = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 {
                break;
            }
            for &b in &buf[..n] {
                if b == b'\n' {
                    line = 0;
                } else {
                    line += 1;
                    longest = longest.max(line);
                }
            }
            len += n as u64;
            if head.len() < 1 << 16 {
                head.extend_from_slice(&buf[..n.min((1 << 16) - head.len())]);
            }
        }
        (len, longest, String::from_utf8_lossy(&head).into_owned())
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let mut hwm = 0;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        if let Some(h) = hwm_kib(pid) {
            hwm = hwm.max(h);
        }
        if start.elapsed() > kill_after {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let (stdout_len, longest_line, stdout_head) = out.join().unwrap();
    Outcome {
        status,
        elapsed,
        hwm_kib: hwm,
        stdout_len,
        longest_line,
        stdout_head,
        stderr: err.join().unwrap(),
    }
}
