//! What a VM is made of: [`VmConfig`], and the parsers for the command line's sizes, durations
//! and `--vm` specifications.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ospite_mmu::SatpMode;

use crate::engine::EngineKind;
use crate::error::{Error, Result};

/// Debian's OpenSBI, used when `--kernel` is given without `--bios` (QEMU likewise defaults to
/// its own OpenSBI `fw_dynamic`).
pub const DEFAULT_BIOS: &str = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin";

/// The default RAM size: QEMU virt's 128 MiB.
pub const DEFAULT_MEMORY: u64 = 128 << 20;

/// The default widest translation mode: Sv57, as QEMU virt's default rv64 hart (QEMU 7.2's
/// hart takes Sv57 although its tree says `riscv,sv48`; QEMU 8 says `riscv,sv57`).
pub const DEFAULT_MMU: SatpMode = SatpMode::Sv57;

/// The largest RAM we accept: the RAM window from 0x8000_0000 is bounded only by the 64-bit
/// space, but host reservations of more than this are surely a typo.
pub const MAX_MEMORY: u64 = 1 << 40;

/// The machine-mode firmware.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Firmware {
    /// Not given: [`DEFAULT_BIOS`] with a kernel; the built-in guest without one.
    #[default]
    Default,
    /// `--bios none`: the kernel starts directly in M-mode.
    None,
    /// `--bios PATH`: an ELF or raw image, raw images at 0x8000_0000.
    Path(PathBuf),
}

/// A disk image behind the board's virtio-blk device (`--drive`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DriveConfig {
    /// The image file (raw, 512-byte sectors).
    pub path: PathBuf,
    /// Offer the disk read-only (`VIRTIO_BLK_F_RO`) and never open the file for writing.
    pub readonly: bool,
}

/// Parses `--drive`: `PATH`, or QEMU-style `file=PATH[,readonly[=on|off]][,format=raw]`.
pub fn parse_drive(s: &str) -> Result<DriveConfig> {
    let bad = |why: String| Error::Config {
        what: format!("--drive {s}"),
        why,
    };
    if !s.starts_with("file=") {
        return Ok(DriveConfig {
            path: PathBuf::from(s),
            readonly: false,
        });
    }
    let mut path = None;
    let mut readonly = false;
    for part in s.split(',') {
        match part.split_once('=').unwrap_or((part, "on")) {
            ("file", p) => path = Some(PathBuf::from(p)),
            ("readonly", "on" | "true" | "yes") => readonly = true,
            ("readonly", "off" | "false" | "no") => readonly = false,
            ("format", "raw") => {}
            ("format", f) => return Err(bad(format!("format `{f}`: only raw images"))),
            (key, _) => {
                return Err(bad(format!(
                    "unknown key `{key}` (known: file, readonly, format)"
                )))
            }
        }
    }
    let path = path.ok_or_else(|| bad("no file=PATH".into()))?;
    Ok(DriveConfig { path, readonly })
}

/// Called after each slice of instructions with the number executed so far (for progress
/// displays and watchdogs).
pub type Observer = Arc<dyn Fn(u64) + Send + Sync>;

/// One VM's configuration.
#[derive(Clone)]
pub struct VmConfig {
    /// The name used in reports and console prefixes.
    pub name: String,
    /// Firmware.
    pub bios: Firmware,
    /// The payload (`--kernel`).
    pub kernel: Option<PathBuf>,
    /// The initial RAM disk (`--initrd`).
    pub initrd: Option<PathBuf>,
    /// The kernel command line (`--append`), in `/chosen/bootargs`.
    pub append: Option<String>,
    /// RAM size in bytes.
    pub memory: u64,
    /// The number of harts.
    pub smp: u32,
    /// The instruction budget: the VM ends with [`ExitReason::BudgetSpent`](crate::ExitReason)
    /// after this many instructions.
    pub max_insns: Option<u64>,
    /// The wall-time limit.
    pub time_limit: Option<Duration>,
    /// A file for the instruction trace (Spike's commit-log format). With the trace on, the
    /// translator interprets everything.
    pub trace: Option<PathBuf>,
    /// A file for the translator's listing of every block it translates: guest instructions
    /// beside the x86 code, at the addresses it runs from (`--engine dbt` only).
    pub block_log: Option<PathBuf>,
    /// The engine that runs the hart.
    pub engine: EngineKind,
    /// The disk behind the virtio-blk device (`--drive`), if any.
    pub drive: Option<DriveConfig>,
    /// The widest translation mode the hart's `satp` takes (`--mmu`), which the device tree's
    /// `mmu-type` names; narrower modes are taken too.
    pub mmu: SatpMode,
    /// Called after each slice of instructions.
    pub observer: Option<Observer>,
}

impl fmt::Debug for VmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VmConfig")
            .field("name", &self.name)
            .field("bios", &self.bios)
            .field("kernel", &self.kernel)
            .field("initrd", &self.initrd)
            .field("append", &self.append)
            .field("memory", &self.memory)
            .field("smp", &self.smp)
            .field("max_insns", &self.max_insns)
            .field("time_limit", &self.time_limit)
            .field("trace", &self.trace)
            .field("block_log", &self.block_log)
            .field("engine", &self.engine)
            .field("drive", &self.drive)
            .field("mmu", &self.mmu)
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

impl Default for VmConfig {
    fn default() -> Self {
        VmConfig {
            name: "vm0".into(),
            bios: Firmware::Default,
            kernel: None,
            initrd: None,
            append: None,
            memory: DEFAULT_MEMORY,
            smp: 1,
            max_insns: None,
            time_limit: None,
            trace: None,
            block_log: None,
            engine: EngineKind::default(),
            drive: None,
            mmu: DEFAULT_MMU,
            observer: None,
        }
    }
}

/// Parses `--bios`: `none` or a path.
pub fn parse_bios(s: &str) -> Firmware {
    if s == "none" {
        Firmware::None
    } else {
        Firmware::Path(PathBuf::from(s))
    }
}

/// Parses `--mmu`: `sv39`, `sv48` or `sv57` (the widest translation mode the hart takes).
pub fn parse_mmu(s: &str) -> Result<SatpMode> {
    match s.to_ascii_lowercase().as_str() {
        "sv39" => Ok(SatpMode::Sv39),
        "sv48" => Ok(SatpMode::Sv48),
        "sv57" => Ok(SatpMode::Sv57),
        _ => Err(Error::Config {
            what: format!("--mmu {s}"),
            why: "expected sv39, sv48 or sv57".into(),
        }),
    }
}

/// The device tree's `mmu-type` for a hart whose widest mode is `mode` (`riscv,none` for a
/// hart without paging).
pub fn mmu_type(mode: SatpMode) -> &'static str {
    match mode {
        SatpMode::Bare => "riscv,none",
        SatpMode::Sv39 => "riscv,sv39",
        SatpMode::Sv48 => "riscv,sv48",
        SatpMode::Sv57 => "riscv,sv57",
    }
}

/// Parses a memory size as QEMU's `-m` does: a number with an optional `K`, `M`, `G` or `T`
/// suffix (binary units; `B` for bytes), and MiB when there is no suffix. The size must be a
/// non-zero multiple of 4 KiB and at most 1 TiB.
pub fn parse_memory(s: &str) -> Result<u64> {
    let bad = |why: &str| Error::Config {
        what: format!("-m {s}"),
        why: why.into(),
    };
    let t = s.trim();
    let (digits, unit) = match t.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => (&t[..i], &t[i..]),
        None => (t, "M"),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| bad("expected a size such as 128M, 1G or 512 (MiB)"))?;
    let shift = match unit.to_ascii_uppercase().as_str() {
        "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return Err(bad("unknown unit (use K, M, G or T)")),
    };
    let bytes = n.checked_mul(1 << shift).ok_or_else(|| bad("too large"))?;
    if bytes == 0 {
        return Err(bad("guest RAM cannot be empty"));
    }
    if bytes > MAX_MEMORY {
        return Err(bad("more than 1 TiB of guest RAM"));
    }
    if bytes % 4096 != 0 {
        return Err(bad("not a multiple of 4 KiB"));
    }
    Ok(bytes)
}

/// Parses a duration: a number with `ms`, `s`, `m` or `h` (seconds when there is no unit).
pub fn parse_duration(s: &str) -> Result<Duration> {
    let bad = || Error::Config {
        what: s.to_owned(),
        why: "expected a duration such as 500ms, 10s, 2m".into(),
    };
    let t = s.trim();
    let i = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let n: u64 = t[..i].parse().map_err(|_| bad())?;
    Ok(match &t[i..] {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => return Err(bad()),
    })
}

/// Parses an instruction count: digits, with `_` allowed, and an optional `k`, `M` or `G`
/// (decimal) suffix.
pub fn parse_count(s: &str) -> Result<u64> {
    let bad = || Error::Config {
        what: s.to_owned(),
        why: "expected an instruction count such as 1000000, 50M or 2G".into(),
    };
    let t: String = s.trim().chars().filter(|&c| c != '_').collect();
    let (digits, mult) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1_000),
        Some('M') => (&t[..t.len() - 1], 1_000_000),
        Some('G') => (&t[..t.len() - 1], 1_000_000_000),
        _ => (&t[..], 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(bad)
}

/// Where a VM's console goes in a many-VM run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConsoleSpec {
    /// Lines on standard output, each prefixed with `[name] `.
    Prefixed,
    /// A file of its own.
    File(PathBuf),
}

/// Parses a `--vm` specification: comma-separated `key=value` pairs. Keys: `name`, `bios`,
/// `kernel`, `initrd`, `m`, `mmu`, `max-insns`, `timeout`, `trace`, `drive` (a disk image path),
/// `readonly` (`on` makes that disk read-only), `console` (a file; the default is
/// prefixed lines on standard output), and `append`, which must come last because it takes the
/// rest of the specification, commas included.
pub fn parse_vm_spec(spec: &str, index: usize) -> Result<(VmConfig, ConsoleSpec)> {
    let mut cfg = VmConfig {
        name: format!("vm{index}"),
        ..VmConfig::default()
    };
    let mut console = ConsoleSpec::Prefixed;
    let mut rest = spec;
    while !rest.is_empty() {
        let (pair, tail) = if rest.starts_with("append=") {
            (rest, "")
        } else {
            rest.split_once(',').unwrap_or((rest, ""))
        };
        rest = tail;
        let (key, value) = pair.split_once('=').ok_or_else(|| Error::Config {
            what: format!("--vm {spec}"),
            why: format!("`{pair}` is not key=value"),
        })?;
        match key {
            "name" => cfg.name = value.to_owned(),
            "bios" => cfg.bios = parse_bios(value),
            "kernel" => cfg.kernel = Some(PathBuf::from(value)),
            "initrd" => cfg.initrd = Some(PathBuf::from(value)),
            "append" => cfg.append = Some(value.to_owned()),
            "m" => cfg.memory = parse_memory(value)?,
            "mmu" => cfg.mmu = parse_mmu(value)?,
            "max-insns" => cfg.max_insns = Some(parse_count(value)?),
            "timeout" => cfg.time_limit = Some(parse_duration(value)?),
            "trace" => cfg.trace = Some(PathBuf::from(value)),
            "console" => console = ConsoleSpec::File(PathBuf::from(value)),
            "drive" => {
                let readonly = cfg.drive.as_ref().is_some_and(|d| d.readonly);
                cfg.drive = Some(DriveConfig {
                    path: PathBuf::from(value),
                    readonly,
                });
            }
            "readonly" => {
                let readonly = matches!(value, "on" | "true" | "yes");
                let drive = cfg.drive.get_or_insert_with(|| DriveConfig {
                    path: PathBuf::new(),
                    readonly,
                });
                drive.readonly = readonly;
            }
            _ => {
                return Err(Error::Config {
                    what: format!("--vm {spec}"),
                    why: format!(
                        "unknown key `{key}` (known: name, bios, kernel, initrd, m, mmu, \
                         max-insns, timeout, trace, drive, readonly, console, append)"
                    ),
                })
            }
        }
    }
    if cfg
        .drive
        .as_ref()
        .is_some_and(|d| d.path.as_os_str().is_empty())
    {
        return Err(Error::Config {
            what: format!("--vm {spec}"),
            why: "`readonly` without `drive=PATH`".into(),
        });
    }
    Ok((cfg, console))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_follow_qemu() {
        assert_eq!(parse_memory("256").unwrap(), 256 << 20);
        assert_eq!(parse_memory("1G").unwrap(), 1 << 30);
        assert_eq!(parse_memory("64k").unwrap(), 64 << 10);
    }

    #[test]
    fn impossible_memory_sizes_are_refused() {
        assert!(parse_memory("0").is_err());
        assert!(parse_memory("lots").is_err());
        assert!(parse_memory("100B").is_err());
        assert!(parse_memory("99999T").is_err());
    }

    #[test]
    fn vm_spec_with_append_taking_the_rest() {
        let (cfg, console) =
            parse_vm_spec("name=a,bios=none,kernel=k.elf,m=64M,append=x=1,y", 3).unwrap();
        assert_eq!(cfg.name, "a");
        assert_eq!(cfg.bios, Firmware::None);
        assert_eq!(cfg.memory, 64 << 20);
        assert_eq!(cfg.append.as_deref(), Some("x=1,y"));
        assert_eq!(console, ConsoleSpec::Prefixed);
    }

    #[test]
    fn drive_options_in_both_styles() {
        assert_eq!(
            parse_drive("disk.img").unwrap(),
            DriveConfig {
                path: "disk.img".into(),
                readonly: false
            }
        );
        assert_eq!(
            parse_drive("file=d.img,format=raw,readonly").unwrap(),
            DriveConfig {
                path: "d.img".into(),
                readonly: true
            }
        );
        assert!(parse_drive("file=d.img,format=qcow2").is_err());
        let (cfg, _) = parse_vm_spec("drive=d.img,readonly=on", 0).unwrap();
        assert_eq!(
            cfg.drive,
            Some(DriveConfig {
                path: "d.img".into(),
                readonly: true
            })
        );
    }

    #[test]
    fn vm_spec_unknown_key_is_named() {
        let err = parse_vm_spec("kernal=x", 0).unwrap_err().to_string();
        assert!(err.contains("unknown key `kernal`"), "{err}");
    }

    #[test]
    fn mmu_modes_by_name() {
        assert_eq!(parse_mmu("sv39").unwrap(), SatpMode::Sv39);
        assert_eq!(parse_mmu("SV48").unwrap(), SatpMode::Sv48);
        assert!(parse_mmu("sv32").is_err());
        let (cfg, _) = parse_vm_spec("mmu=sv48,m=256M", 0).unwrap();
        assert_eq!((cfg.mmu, mmu_type(cfg.mmu)), (SatpMode::Sv48, "riscv,sv48"));
    }

    #[test]
    fn counts_and_durations() {
        assert_eq!(parse_count("50M").unwrap(), 50_000_000);
        assert_eq!(parse_count("1_000").unwrap(), 1000);
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
    }
}
