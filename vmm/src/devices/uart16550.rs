//! An NS16550A UART: the console. Transmission is immediate (the transmitter is always empty),
//! reception reads from a shared input queue that the host side fills; receive-data and
//! transmitter-empty interrupts go to the PLIC through [`IrqLevels`].
//!
//! Every buffer a guest can fill is bounded. In loopback mode (`MCR` bit 4) the receive FIFO
//! holds [`FIFO_SIZE`] bytes, as a 16550's does: a byte written while it is full is lost and
//! `LSR` reports an overrun (bit 1, cleared by reading `LSR`). Host input waits in a queue of
//! at most [`INPUT_CAPACITY`] bytes; the host side holds back what does not fit
//! ([`ConsoleInput::try_push`]) instead of losing it.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};

use ospite_mmu::{AccessSize, Device, DeviceError};

use super::{IrqLevels, Wakeup};

/// The receive FIFO's size, as a 16550's.
pub const FIFO_SIZE: usize = 16;
/// The most bytes of host input that wait for the guest.
pub const INPUT_CAPACITY: usize = 64 << 10;

/// Bytes typed at the console, waiting for the guest to read them (at most
/// [`INPUT_CAPACITY`]).
#[derive(Clone, Debug, Default)]
pub struct ConsoleInput {
    queue: Arc<Mutex<VecDeque<u8>>>,
    wakeup: Arc<Wakeup>,
}

impl ConsoleInput {
    /// An empty queue whose pushes post `wakeup`.
    pub fn new(wakeup: Arc<Wakeup>) -> ConsoleInput {
        ConsoleInput {
            queue: Arc::default(),
            wakeup,
        }
    }

    /// Appends as many of `bytes` as fit and wakes the VM; returns how many were taken (the
    /// caller offers the rest again once the guest has read some).
    pub fn try_push(&self, bytes: &[u8]) -> usize {
        let taken = {
            let mut q = self.lock();
            let n = bytes.len().min(INPUT_CAPACITY - q.len());
            q.extend(&bytes[..n]);
            n
        };
        self.wakeup.post();
        taken
    }

    /// Appends bytes for the guest and wakes the VM; what does not fit is dropped.
    pub fn push(&self, bytes: &[u8]) {
        self.try_push(bytes);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<u8>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The bytes waiting for the guest (at most [`INPUT_CAPACITY`]).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no byte waits for the guest.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn pop(&self) -> Option<u8> {
        self.lock().pop_front()
    }

    fn ready(&self) -> bool {
        !self.lock().is_empty()
    }
}

/// Where the guest's console output goes.
pub type ConsoleOutput = Box<dyn Write + Send>;

const IER_RDI: u8 = 1;
const IER_THRI: u8 = 2;
const LCR_DLAB: u8 = 0x80;
const LSR_DR: u8 = 0x01;
const LSR_OE: u8 = 0x02;
const LSR_THRE: u8 = 0x20;
const LSR_TEMT: u8 = 0x40;
const IIR_NONE: u8 = 0x01;
const IIR_THRI: u8 = 0x02;
const IIR_RDI: u8 = 0x04;
const IIR_FIFO: u8 = 0xc0;
const MCR_LOOP: u8 = 0x10;

/// The UART's registers.
pub struct Uart16550 {
    input: ConsoleInput,
    output: ConsoleOutput,
    irq: IrqLevels,
    source: u32,
    ier: u8,
    lcr: u8,
    mcr: u8,
    scr: u8,
    fcr: u8,
    dll: u8,
    dlm: u8,
    /// A transmitter-empty interrupt is pending (set when THR empties or THRI is enabled,
    /// cleared by reading IIR while it is reported, or by writing THR).
    thri: bool,
    /// The bytes looped back in loopback mode: the receive FIFO, at most [`FIFO_SIZE`].
    loopback: VecDeque<u8>,
    /// A looped-back byte was lost to a full FIFO since `LSR` was last read.
    overrun: bool,
}

impl std::fmt::Debug for Uart16550 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Uart16550")
            .field("ier", &self.ier)
            .field("lcr", &self.lcr)
            .finish_non_exhaustive()
    }
}

impl Uart16550 {
    /// A UART reading `input`, writing `output`, raising PLIC source `source`.
    pub fn new(input: ConsoleInput, output: ConsoleOutput, irq: IrqLevels, source: u32) -> Self {
        Uart16550 {
            input,
            output,
            irq,
            source,
            ier: 0,
            lcr: 0x03,
            mcr: 0,
            scr: 0,
            fcr: 0,
            dll: 0x0c,
            dlm: 0,
            thri: false,
            loopback: VecDeque::with_capacity(FIFO_SIZE),
            overrun: false,
        }
    }

    fn data_ready(&self) -> bool {
        if self.mcr & MCR_LOOP != 0 {
            !self.loopback.is_empty()
        } else {
            self.input.ready()
        }
    }

    fn iir(&self) -> u8 {
        let id = if self.ier & IER_RDI != 0 && self.data_ready() {
            IIR_RDI
        } else if self.ier & IER_THRI != 0 && self.thri {
            IIR_THRI
        } else {
            IIR_NONE
        };
        id | if self.fcr & 1 != 0 { IIR_FIFO } else { 0 }
    }

    /// Recomputes the interrupt line (input may have arrived since the last access).
    pub fn update(&mut self) {
        let level = self.iir() & IIR_NONE == 0;
        self.irq.set(self.source, level);
    }

    /// The bytes in the loopback receive FIFO (at most [`FIFO_SIZE`]).
    pub fn looped_back(&self) -> usize {
        self.loopback.len()
    }

    /// Flushes the output.
    pub fn flush(&mut self) {
        let _ = self.output.flush();
    }

    fn read_reg(&mut self, reg: u64) -> u8 {
        let dlab = self.lcr & LCR_DLAB != 0;
        match reg {
            0 if dlab => self.dll,
            0 => {
                let byte = if self.mcr & MCR_LOOP != 0 {
                    self.loopback.pop_front()
                } else {
                    self.input.pop()
                };
                byte.unwrap_or(0)
            }
            1 if dlab => self.dlm,
            1 => self.ier,
            2 => {
                let iir = self.iir();
                if iir & 0x0f == IIR_THRI {
                    self.thri = false;
                }
                iir
            }
            3 => self.lcr,
            4 => self.mcr,
            5 => {
                let dr = if self.data_ready() { LSR_DR } else { 0 };
                let oe = if std::mem::take(&mut self.overrun) {
                    LSR_OE
                } else {
                    0
                };
                dr | oe | LSR_THRE | LSR_TEMT
            }
            // MSR: CTS, DSR and DCD asserted, as a connected terminal shows them.
            6 => {
                if self.mcr & MCR_LOOP != 0 {
                    (self.mcr & 0x0f) << 4
                } else {
                    0xb0
                }
            }
            7 => self.scr,
            _ => 0,
        }
    }

    fn write_reg(&mut self, reg: u64, value: u8) {
        let dlab = self.lcr & LCR_DLAB != 0;
        match reg {
            0 if dlab => self.dll = value,
            0 => {
                if self.mcr & MCR_LOOP != 0 {
                    if self.loopback.len() < FIFO_SIZE {
                        self.loopback.push_back(value);
                    } else {
                        self.overrun = true;
                    }
                } else {
                    // A console that cannot be written (a closed pipe) drops the byte: the
                    // guest's UART has no notion of a reader.
                    let _ = self.output.write_all(&[value]);
                    if value == b'\n' {
                        let _ = self.output.flush();
                    }
                }
                self.thri = true;
            }
            1 if dlab => self.dlm = value,
            1 => {
                if value & IER_THRI != 0 && self.ier & IER_THRI == 0 {
                    self.thri = true;
                }
                self.ier = value & 0x0f;
            }
            2 => {
                self.fcr = value;
                if value & 2 != 0 && self.mcr & MCR_LOOP != 0 {
                    self.loopback.clear();
                }
            }
            3 => self.lcr = value,
            4 => self.mcr = value & 0x1f,
            7 => self.scr = value,
            _ => {}
        }
    }
}

impl Device for Uart16550 {
    fn read(&mut self, offset: u64, size: AccessSize) -> Result<u64, DeviceError> {
        let _ = size; // wider reads see the byte register in their low byte, as QEMU does
        let v = self.read_reg(offset & 7);
        self.update();
        Ok(u64::from(v))
    }

    fn write(&mut self, offset: u64, size: AccessSize, value: u64) -> Result<(), DeviceError> {
        let _ = size;
        self.write_reg(offset & 7, value as u8);
        self.update();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn uart() -> (Uart16550, ConsoleInput, Arc<Mutex<Vec<u8>>>, IrqLevels) {
        let input = ConsoleInput::new(Arc::new(Wakeup::new()));
        let out = Arc::new(Mutex::new(Vec::new()));
        let irq = IrqLevels::new();
        let u = Uart16550::new(input.clone(), Box::new(Sink(out.clone())), irq.clone(), 10);
        (u, input, out, irq)
    }

    #[test]
    fn thr_writes_reach_the_output() {
        let (mut u, _, out, _) = uart();
        u.write(0, AccessSize::B1, u64::from(b'h')).unwrap();
        u.write(0, AccessSize::B1, u64::from(b'i')).unwrap();
        assert_eq!(out.lock().unwrap().as_slice(), b"hi");
    }

    #[test]
    fn input_sets_data_ready_and_raises_rx_interrupt() {
        let (mut u, input, _, irq) = uart();
        u.write(1, AccessSize::B1, u64::from(IER_RDI)).unwrap();
        input.push(b"a");
        u.update();
        assert_eq!(irq.get() & (1 << 10), 1 << 10);
        assert_eq!(u.read(5, AccessSize::B1).unwrap() as u8 & LSR_DR, LSR_DR);
        assert_eq!(u.read(2, AccessSize::B1).unwrap() as u8 & 0x0f, IIR_RDI);
        assert_eq!(u.read(0, AccessSize::B1).unwrap(), u64::from(b'a'));
        assert_eq!(irq.get() & (1 << 10), 0);
    }

    #[test]
    fn loopback_fifo_holds_sixteen_bytes_then_reports_overrun_once() {
        let (mut u, _, out, _) = uart();
        u.write(4, AccessSize::B1, u64::from(MCR_LOOP)).unwrap();
        for b in 0..1000u32 {
            u.write(0, AccessSize::B1, u64::from(b as u8)).unwrap();
        }
        let lsr = u.read(5, AccessSize::B1).unwrap() as u8;
        let again = u.read(5, AccessSize::B1).unwrap() as u8;
        let got: Vec<u8> = (0..17)
            .map(|_| u.read(0, AccessSize::B1).unwrap() as u8)
            .collect();
        assert_eq!(lsr & (LSR_OE | LSR_DR), LSR_OE | LSR_DR);
        assert_eq!(again & LSR_OE, 0, "reading LSR clears the overrun");
        assert_eq!(&got[..16], &(0..16).collect::<Vec<u8>>()[..]);
        assert_eq!(u.read(5, AccessSize::B1).unwrap() as u8 & LSR_DR, 0);
        assert!(
            out.lock().unwrap().is_empty(),
            "looped bytes do not reach the console"
        );
    }

    #[test]
    fn host_input_is_held_back_past_its_capacity() {
        let (_, input, _, _) = uart();
        let big = vec![b'x'; INPUT_CAPACITY + 10];
        assert_eq!(input.try_push(&big), INPUT_CAPACITY);
        assert_eq!(input.try_push(b"y"), 0);
        input.pop();
        assert_eq!(input.try_push(b"yz"), 1);
    }

    #[test]
    fn thri_is_cleared_by_reading_iir() {
        let (mut u, _, _, irq) = uart();
        u.write(1, AccessSize::B1, u64::from(IER_THRI)).unwrap();
        assert_eq!(irq.get() & (1 << 10), 1 << 10);
        assert_eq!(u.read(2, AccessSize::B1).unwrap() as u8 & 0x0f, IIR_THRI);
        assert_eq!(irq.get() & (1 << 10), 0);
    }
}
