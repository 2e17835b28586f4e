//! Host-side errors: a bad memory map or a failed host allocation.
//!
//! Guest-visible faults are not errors: they are values ([`crate::MemFault`], [`crate::BusFault`]).

use crate::addr::PhysAddr;

/// Why building guest memory or a memory map failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A RAM region or device was given a size of zero bytes.
    #[error("region `{name}` at {base} has size zero")]
    ZeroSize {
        /// The region's name.
        name: String,
        /// The region's base address.
        base: PhysAddr,
    },
    /// Two regions of a memory map share at least one address.
    #[error(
        "region `{first}` [{first_base}, {first_end}) overlaps region `{second}` [{second_base}, {second_end})"
    )]
    Overlap {
        /// The name of the region with the lower base.
        first: String,
        /// Its base address.
        first_base: PhysAddr,
        /// Its end address (exclusive).
        first_end: PhysAddr,
        /// The name of the other region.
        second: String,
        /// Its base address.
        second_base: PhysAddr,
        /// Its end address (exclusive).
        second_end: PhysAddr,
    },
    /// A region extends past the end of the 64-bit physical address space.
    #[error(
        "region `{name}` at {base} with size {size:#x} runs past the end of the address space"
    )]
    OutOfRange {
        /// The region's name.
        name: String,
        /// The region's base address.
        base: PhysAddr,
        /// The region's size in bytes.
        size: u64,
    },
    /// A RAM region's base or size is not a multiple of the 4 KiB page size.
    #[error("RAM region `{name}` at {base} with size {size:#x} is not 4 KiB aligned")]
    Unaligned {
        /// The region's name.
        name: String,
        /// The region's base address.
        base: PhysAddr,
        /// The region's size in bytes.
        size: u64,
    },
    /// Guest RAM was asked for with a size that is zero or not a multiple of 4 KiB.
    #[error("guest RAM size {size:#x} must be a non-zero multiple of 4 KiB")]
    RamSize {
        /// The requested size in bytes.
        size: u64,
    },
    /// The host refused to map guest RAM.
    #[error("cannot map {size:#x} bytes of guest RAM: {source}")]
    Mmap {
        /// The requested size in bytes.
        size: u64,
        /// The host's error.
        #[source]
        source: std::io::Error,
    },
}

/// The result type of this crate's fallible host-side operations.
pub type Result<T> = core::result::Result<T, Error>;
