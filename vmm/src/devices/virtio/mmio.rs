//! The virtio-mmio transport, version 2 (virtio 1.2, section 4.2.2): the register block
//! through which a driver negotiates features, sets up queues, notifies the device and takes
//! its interrupts. Registers are 32 bits wide; configuration space, from 0x100, is read with
//! the width of each field.
//!
//! Notifications are served inside the guest's write to `QueueNotify`, within a [`Budget`]:
//! a notification serves the chains made available up to the `avail->idx` it reads (at most
//! one queue's worth; an index further ahead sets `DEVICE_NEEDS_RESET`), and what does not fit
//! in one piece of work goes on between the VM's slices ([`MmioTransport::resume`]). The
//! interrupt line is high while `InterruptStatus` is non-zero; the driver lowers it with
//! `InterruptACK`.

use ospite_mmu::{AccessSize, Device, DeviceError};

use super::{status, Budget, GuestMemory, Queue, VirtioDevice, Work, F_VERSION_1};
use crate::devices::IrqLevels;

const MAGIC: u64 = 0x000;
const VERSION: u64 = 0x004;
const DEVICE_ID: u64 = 0x008;
const VENDOR_ID: u64 = 0x00c;
const DEVICE_FEATURES: u64 = 0x010;
const DEVICE_FEATURES_SEL: u64 = 0x014;
const DRIVER_FEATURES: u64 = 0x020;
const DRIVER_FEATURES_SEL: u64 = 0x024;
const QUEUE_SEL: u64 = 0x030;
const QUEUE_NUM_MAX: u64 = 0x034;
const QUEUE_NUM: u64 = 0x038;
const QUEUE_READY: u64 = 0x044;
const QUEUE_NOTIFY: u64 = 0x050;
const INTERRUPT_STATUS: u64 = 0x060;
const INTERRUPT_ACK: u64 = 0x064;
const STATUS: u64 = 0x070;
const QUEUE_DESC_LOW: u64 = 0x080;
const QUEUE_DESC_HIGH: u64 = 0x084;
const QUEUE_DRIVER_LOW: u64 = 0x090;
const QUEUE_DRIVER_HIGH: u64 = 0x094;
const QUEUE_DEVICE_LOW: u64 = 0x0a0;
const QUEUE_DEVICE_HIGH: u64 = 0x0a4;
const CONFIG_GENERATION: u64 = 0x0fc;
const CONFIG: u64 = 0x100;

/// `InterruptStatus`: a buffer went on a used ring.
pub const INT_USED_BUFFER: u32 = 1;
/// `InterruptStatus`: the configuration (or the device status) changed.
pub const INT_CONFIG_CHANGE: u32 = 2;

/// "virt", little-endian.
const MAGIC_VALUE: u32 = 0x7472_6976;
/// QEMU's vendor ID ("QEMU"), as the empty slots show.
const VENDOR: u32 = 0x554d_4551;

/// Sets the low (`high == false`) or high half of `v` to `half`.
fn set_half(v: &mut u64, high: bool, half: u32) {
    if high {
        *v = (*v & 0xffff_ffff) | u64::from(half) << 32;
    } else {
        *v = (*v & !0xffff_ffff) | u64::from(half);
    }
}

/// A virtio device on the virtio-mmio transport, raising one PLIC source.
pub struct MmioTransport<D: VirtioDevice> {
    device: D,
    mem: GuestMemory,
    irq: IrqLevels,
    source: u32,
    queues: Vec<Queue>,
    queue_sel: u32,
    device_features_sel: u32,
    driver_features_sel: u32,
    driver_features: u64,
    status: u32,
    interrupt_status: u32,
    /// The queue with work left from its last piece.
    pending: Option<usize>,
    /// Queues (one bit each, up to 64) notified while another had work pending.
    renotified: u64,
    /// All the work the device did.
    work: Work,
    /// What is left of this slice's piece of work: made at the first work after a
    /// [`MmioTransport::resume`], shared by every notification until the next one, so that
    /// a storm of notifications gets no more than one piece between two slices.
    allowance: Option<Budget>,
}

impl<D: VirtioDevice> std::fmt::Debug for MmioTransport<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmioTransport")
            .field("device_id", &self.device.device_id())
            .field("status", &self.status)
            .field("interrupt_status", &self.interrupt_status)
            .finish_non_exhaustive()
    }
}

impl<D: VirtioDevice> MmioTransport<D> {
    /// `device`, reaching guest RAM through `mem` and raising PLIC source `source`.
    pub fn new(device: D, mem: GuestMemory, irq: IrqLevels, source: u32) -> MmioTransport<D> {
        let queues = device
            .queue_max_sizes()
            .iter()
            .map(|&n| Queue::new(n))
            .collect();
        MmioTransport {
            device,
            mem,
            irq,
            source,
            queues,
            queue_sel: 0,
            device_features_sel: 0,
            driver_features_sel: 0,
            driver_features: 0,
            status: 0,
            interrupt_status: 0,
            pending: None,
            renotified: 0,
            work: Work::default(),
            allowance: None,
        }
    }

    /// All the work the device did so far (chains served, bytes moved).
    pub fn work(&self) -> Work {
        self.work
    }

    /// Whether a notification's work is left for [`MmioTransport::resume`].
    pub fn busy(&self) -> bool {
        self.pending.is_some() || self.renotified != 0
    }

    /// Goes on with the work a notification left (one more piece of it), and serves the
    /// notifications that came meanwhile. The VM's run loop calls this between slices.
    /// Returns whether work is still left.
    pub fn resume(&mut self) -> bool {
        self.allowance = None;
        if let Some(index) = self.pending.take() {
            if self.live() && self.queues.get(index).is_some_and(|q| q.ready) {
                self.serve(index);
            } else {
                self.device.abandon();
            }
        }
        if self.pending.is_none() && self.renotified != 0 {
            let bits = std::mem::take(&mut self.renotified);
            for index in (0..64).filter(|i| bits & 1 << i != 0) {
                self.notify(index);
            }
        }
        self.busy()
    }

    /// The device behind the transport.
    pub fn device(&self) -> &D {
        &self.device
    }

    /// The device status the driver wrote (and the device's `DEVICE_NEEDS_RESET`).
    pub fn status(&self) -> u32 {
        self.status
    }

    fn offered(&self) -> u64 {
        self.device.features() | F_VERSION_1
    }

    fn queue(&mut self) -> Option<&mut Queue> {
        self.queues.get_mut(self.queue_sel as usize)
    }

    fn set_interrupt(&mut self, bits: u32) {
        self.interrupt_status |= bits;
        self.irq.set(self.source, self.interrupt_status != 0);
    }

    fn reset(&mut self) {
        for q in &mut self.queues {
            q.reset();
        }
        self.queue_sel = 0;
        self.device_features_sel = 0;
        self.driver_features_sel = 0;
        self.driver_features = 0;
        self.status = 0;
        self.interrupt_status = 0;
        self.pending = None;
        self.renotified = 0;
        self.device.abandon();
        self.irq.set(self.source, false);
    }

    fn live(&self) -> bool {
        self.status & status::DRIVER_OK != 0 && self.status & status::DEVICE_NEEDS_RESET == 0
    }

    /// The driver broke the protocol: the device needs a reset, and says so.
    fn fail(&mut self) {
        self.status |= status::DEVICE_NEEDS_RESET;
        self.pending = None;
        self.renotified = 0;
        self.device.abandon();
        self.set_interrupt(INT_CONFIG_CHANGE);
    }

    /// One piece of work on queue `index`.
    fn serve(&mut self, index: usize) {
        let Some(q) = self.queues.get_mut(index) else {
            return;
        };
        let budget = self.allowance.get_or_insert_with(Budget::piece);
        let before = budget.done();
        let result = self.device.process(index, q, &self.mem, budget);
        let done = budget.done();
        self.work.chains += done.chains - before.chains;
        self.work.bytes += done.bytes - before.bytes;
        match result {
            Ok(served) => {
                if served.used && q.wants_interrupt(&self.mem) {
                    self.set_interrupt(INT_USED_BUFFER);
                }
                self.pending = served.more.then_some(index);
            }
            Err(_) => self.fail(),
        }
    }

    fn write_status(&mut self, value: u32) {
        if value == 0 {
            self.reset();
            return;
        }
        let mut value = value;
        if value & status::FEATURES_OK != 0 && self.status & status::FEATURES_OK == 0 {
            // Only a modern driver that took nothing we did not offer gets FEATURES_OK.
            let ok = self.driver_features & !self.offered() == 0
                && self.driver_features & F_VERSION_1 != 0;
            if !ok {
                value &= !status::FEATURES_OK;
            }
        }
        self.status = value | (self.status & status::DEVICE_NEEDS_RESET);
    }

    fn notify(&mut self, index: u32) {
        let index = index as usize;
        let live = self.live();
        let Some(q) = self.queues.get_mut(index) else {
            return;
        };
        if !live || !q.ready {
            return;
        }
        if self.pending.is_some() {
            // One piece of work at a time; this notification is served when that one ends.
            if index < 64 {
                self.renotified |= 1 << index;
            }
            return;
        }
        match q.begin(&self.mem) {
            Ok(_) => self.serve(index),
            Err(_) => self.fail(),
        }
    }

    fn read_register(&mut self, offset: u64) -> u32 {
        match offset {
            MAGIC => MAGIC_VALUE,
            VERSION => 2,
            DEVICE_ID => self.device.device_id(),
            VENDOR_ID => VENDOR,
            DEVICE_FEATURES => match self.device_features_sel {
                0 => self.offered() as u32,
                1 => (self.offered() >> 32) as u32,
                _ => 0,
            },
            QUEUE_NUM_MAX => self.queue().map_or(0, |q| u32::from(q.max_size)),
            QUEUE_READY => self.queue().is_some_and(|q| q.ready).into(),
            INTERRUPT_STATUS => self.interrupt_status,
            STATUS => self.status,
            CONFIG_GENERATION => 0,
            _ => 0,
        }
    }

    fn write_register(&mut self, offset: u64, value: u32) {
        match offset {
            DEVICE_FEATURES_SEL => self.device_features_sel = value,
            DRIVER_FEATURES => match self.driver_features_sel {
                0 => set_half(&mut self.driver_features, false, value),
                1 => set_half(&mut self.driver_features, true, value),
                _ => {}
            },
            DRIVER_FEATURES_SEL => self.driver_features_sel = value,
            QUEUE_SEL => self.queue_sel = value,
            QUEUE_NUM => {
                if let Some(q) = self.queue() {
                    q.size = value as u16;
                }
            }
            QUEUE_READY => {
                if let Some(q) = self.queue() {
                    q.ready = value & 1 != 0;
                }
            }
            QUEUE_NOTIFY => self.notify(value),
            INTERRUPT_ACK => {
                self.interrupt_status &= !value;
                self.irq.set(self.source, self.interrupt_status != 0);
            }
            STATUS => self.write_status(value),
            QUEUE_DESC_LOW | QUEUE_DESC_HIGH => {
                let high = offset == QUEUE_DESC_HIGH;
                if let Some(q) = self.queue() {
                    set_half(&mut q.desc, high, value);
                }
            }
            QUEUE_DRIVER_LOW | QUEUE_DRIVER_HIGH => {
                let high = offset == QUEUE_DRIVER_HIGH;
                if let Some(q) = self.queue() {
                    set_half(&mut q.driver, high, value);
                }
            }
            QUEUE_DEVICE_LOW | QUEUE_DEVICE_HIGH => {
                let high = offset == QUEUE_DEVICE_HIGH;
                if let Some(q) = self.queue() {
                    set_half(&mut q.device, high, value);
                }
            }
            _ => {}
        }
    }
}

impl<D: VirtioDevice> Device for MmioTransport<D> {
    fn read(&mut self, offset: u64, size: AccessSize) -> Result<u64, DeviceError> {
        if offset >= CONFIG {
            let mut b = [0u8; 8];
            let n = size.bytes() as usize;
            self.device.read_config(offset - CONFIG, &mut b[..n]);
            return Ok(u64::from_le_bytes(b));
        }
        // Registers are 32 bits wide; other widths read as zero.
        if size != AccessSize::B4 {
            return Ok(0);
        }
        Ok(u64::from(self.read_register(offset)))
    }

    fn write(&mut self, offset: u64, size: AccessSize, value: u64) -> Result<(), DeviceError> {
        // Configuration space is read-only here; registers take 32-bit writes only.
        if offset < CONFIG && size == AccessSize::B4 {
            self.write_register(offset, value as u32);
        }
        Ok(())
    }
}
