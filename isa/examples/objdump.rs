//! A small `objdump -d -M no-aliases` for RISC-V ELF files: a thin wrapper over
//! [`ospite_isa::listing`] (the `elf` feature).
//!
//! ```text
//! cargo run -p ospite-isa --example objdump -- /usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf
//! cargo run -p ospite-isa --example objdump            # a built-in sample at 0x8000_0000
//! ```
//!
//! Bad input (a missing file, not an ELF file, a truncated one, another architecture) is one
//! line on stderr and exit code 1.

use std::io::Write as _;
use std::process::ExitCode;

use ospite_isa::{listing, Extensions};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let (name, result) = match args.as_slice() {
        [] => ("built-in sample".to_string(), Ok(listing::sample_listing())),
        [path] => {
            let name = path.to_string_lossy().into_owned();
            let result = std::fs::read(path)
                .map_err(|e| e.to_string())
                .and_then(|data| {
                    listing::listing(&name, &data, Extensions::ALL).map_err(|e| e.to_string())
                });
            (name, result)
        }
        _ => {
            eprintln!("usage: objdump [ELF-FILE]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(text) => {
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("objdump: {name}: {why}");
            ExitCode::from(1)
        }
    }
}
