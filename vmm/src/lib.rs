//! `ospite-vmm`: the virtual machine monitor. It builds a board with QEMU virt's memory map
//! and devices ([`board`]), writes its device tree ([`fdt`]), loads firmware, kernels and ELF
//! test programs ([`loader`]), boots them as QEMU does ([`reset`]), runs one VM ([`Vm`]) or
//! many side by side ([`Vmm`]), and serves the `ospite` command.
//!
//! Guest behaviour is never a host error: a guest that powers off, faults, loops or runs out of
//! time ends only its own VM, with an [`ExitReason`]. Bad input (a missing file, a malformed
//! ELF, an image that does not fit) is an [`Error`] whose message is one line naming the input.
//!
//! # Example
//!
//! The built-in guest (what `ospite run` with no file starts), its console captured:
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use ospite_vmm::{run_one, Console, ExitReason, VmConfig};
//!
//! let console = Arc::new(Mutex::new(Vec::new()));
//! let report = run_one(VmConfig::default(), Console::Capture(console.clone()));
//! assert_eq!(report.exit, ExitReason::PowerOff(0));
//! let text = String::from_utf8(console.lock().unwrap().clone()).unwrap();
//! assert!(text.contains("primes below 20000: 2262"));
//! ```

pub mod board;
pub mod config;
mod demo;
pub mod devices;
pub mod disasm;
mod engine;
mod error;
pub mod fdt;
pub mod loader;
pub mod reset;
mod vm;
mod vmm;

pub use config::{ConsoleSpec, DriveConfig, Firmware, Observer, VmConfig};
pub use engine::{DbtStats, EngineKind};
pub use error::{Error, Result};
/// The translation modes, as [`VmConfig::mmu`] takes them.
pub use ospite_mmu::SatpMode;
pub use vm::{
    ExitReason, Vm, VmHandle, VmReport, VmStats, EXIT_BUDGET, EXIT_EMULATOR_BUG, EXIT_GUEST_FAULT,
    EXIT_TIME_LIMIT, SLICE, SLICE_TRANSLATED,
};
pub use vmm::{
    build_caught, catch_report, run_caught, run_one, CaptureWriter, Console, PrefixedLines, Vmm,
    VmmRunning, MAX_LINE,
};
