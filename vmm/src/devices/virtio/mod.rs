//! Virtio 1.x devices on the virtio-mmio transport (the modern interface, transport version 2):
//! the transport's registers ([`mmio`]), split virtqueues in guest RAM ([`queue`]), the
//! device's view of RAM ([`memory`]), and the block device ([`blk`]).
//!
//! A device implements [`VirtioDevice`]: its ID, features, configuration space and what it
//! does with a queue when the driver notifies it. The transport does the rest: feature
//! negotiation, the status handshake, queue setup, the interrupt status and its PLIC line.

pub mod blk;
pub mod budget;
pub mod memory;
pub mod mmio;
pub mod queue;

pub use budget::{Budget, Work};
pub use memory::GuestMemory;
pub use mmio::MmioTransport;
pub use queue::{Chain, Queue, QueueError, Segment};

/// Feature bit: the device is a virtio 1.x device (no legacy interface).
pub const F_VERSION_1: u64 = 1 << 32;

/// Device status bits (`Status` register).
pub mod status {
    /// The guest found the device.
    pub const ACKNOWLEDGE: u32 = 1;
    /// The guest has a driver for it.
    pub const DRIVER: u32 = 2;
    /// The driver is ready.
    pub const DRIVER_OK: u32 = 4;
    /// Feature negotiation is complete.
    pub const FEATURES_OK: u32 = 8;
    /// The device hit an error it cannot recover from without a reset.
    pub const DEVICE_NEEDS_RESET: u32 = 64;
    /// The driver gave up on the device.
    pub const FAILED: u32 = 128;
}

/// A virtio device behind a transport.
pub trait VirtioDevice: Send {
    /// The virtio device ID (2 for a block device).
    fn device_id(&self) -> u32;

    /// The features the device offers, besides [`F_VERSION_1`], which the transport adds.
    fn features(&self) -> u64;

    /// The largest size of each of the device's queues; their number is the slice's length.
    fn queue_max_sizes(&self) -> &[u16];

    /// Reads configuration space at `offset` into `data` (bytes past its end read as zero).
    fn read_config(&self, offset: u64, data: &mut [u8]);

    /// Serves queue `index` up to what the driver had made available when it last notified
    /// ([`Queue::begin`]), within `budget` (nothing at all when it is already spent): a
    /// request that outlasts the budget stays in flight in the device, and the transport calls
    /// again (between the VM's slices) to go on.
    fn process(
        &mut self,
        index: usize,
        queue: &mut Queue,
        mem: &GuestMemory,
        budget: &mut Budget,
    ) -> Result<Served, QueueError>;

    /// Drops any request in flight: the driver reset the device, or the device failed.
    fn abandon(&mut self);
}

/// What one call of [`VirtioDevice::process`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Served {
    /// Some buffer went on the used ring.
    pub used: bool,
    /// Work is left (a request in flight, or chains not yet taken) for the next call.
    pub more: bool,
}
