//! Host-side errors of the VMM: bad user input and host resources. Guest behaviour is never an
//! error here; it ends a VM with an [`ExitReason`](crate::ExitReason).

use std::path::PathBuf;

/// Why a VM could not be built or started. Each message is one line that names the input and
/// the problem.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The execution engine could not be set up.
    #[error("cannot start the engine: {0}")]
    Engine(String),
    /// A file could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the host said.
        source: std::io::Error,
    },
    /// A file is not a usable image (a truncated or malformed ELF, another architecture, an
    /// empty file...).
    #[error("{path}: {why}")]
    BadImage {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// An image does not fit in guest RAM.
    #[error("{path}: {why}")]
    DoesNotFit {
        /// The file.
        path: PathBuf,
        /// Where it wanted to go and why that is impossible.
        why: String,
    },
    /// Two images overlap in guest memory.
    #[error("{first} [{first_start:#x}, {first_end:#x}) overlaps {second} [{second_start:#x}, {second_end:#x})")]
    Overlap {
        /// The image loaded first.
        first: String,
        /// Its start address.
        first_start: u64,
        /// Its end address (exclusive).
        first_end: u64,
        /// The image loaded second.
        second: String,
        /// Its start address.
        second_start: u64,
        /// Its end address (exclusive).
        second_end: u64,
    },
    /// A configuration value is impossible (a memory size of zero, more harts than supported).
    #[error("{what}: {why}")]
    Config {
        /// The option or key.
        what: String,
        /// What is wrong with it.
        why: String,
    },
    /// A feature that is not built yet was asked for.
    #[error("{0}: not supported yet")]
    Unsupported(String),
    /// Building guest memory failed (host allocation, memory map).
    #[error("guest memory: {0}")]
    Memory(#[from] ospite_mmu::Error),
    /// Writing the device tree failed.
    #[error("device tree: {0}")]
    Fdt(String),
    /// A host I/O error outside reading an input file (a trace or console file).
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// What the host said.
        source: std::io::Error,
    },
    /// The emulator panicked (a bug); the panic's message.
    #[error("emulator bug (panic): {0}")]
    Bug(String),
}

/// The VMM's result type.
pub type Result<T> = std::result::Result<T, Error>;
