//! Fuzz target `uart`: arbitrary accesses to the NS16550A UART, with host input arriving in
//! between, and its output through the `--vm` line prefixer. No access panics; each writes at
//! most one byte of output; the loopback FIFO never holds more than 16 bytes, host input never
//! more than its capacity, and the prefixer never more than one partial line of `MAX_LINE`.

#![no_main]

use std::io::Write;
use std::sync::{Arc, Mutex};

use libfuzzer_sys::fuzz_target;
use ospite_mmu::Device;
use ospite_vmm::devices::uart16550::{
    ConsoleInput, Uart16550, FIFO_SIZE, INPUT_CAPACITY,
};
use ospite_vmm::devices::{IrqLevels, Wakeup};
use ospite_vmm::{PrefixedLines, MAX_LINE};

#[path = "support/ops.rs"]
mod support;
use support::{ops, Op};

/// Counts the bytes written through it and hands them to a prefixer.
struct Counted {
    bytes: Arc<Mutex<(u64, usize)>>,
    lines: PrefixedLines,
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.lines.write_all(buf)?;
        let mut b = self.bytes.lock().unwrap();
        b.0 += buf.len() as u64;
        b.1 = self.lines.pending();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let input = ConsoleInput::new(Arc::new(Wakeup::new()));
    let bytes = Arc::new(Mutex::new((0u64, 0usize)));
    let out = Counted {
        bytes: bytes.clone(),
        lines: PrefixedLines::to_writer("fuzz", Box::new(std::io::sink())),
    };
    let mut uart = Uart16550::new(input.clone(), Box::new(out), IrqLevels::new(), 10);
    for op in ops(data, 8) {
        let before = bytes.lock().unwrap().0;
        match op {
            Op::Read { offset, size } => {
                uart.read(offset, size).unwrap();
            }
            Op::Write {
                offset,
                size,
                value,
            } => uart.write(offset, size, value).unwrap(),
            Op::Poke { offset, value } => {
                let n = (offset as usize % 64) + 1;
                let taken = input.try_push(&vec![value as u8; n]);
                assert!(taken <= n);
            }
            Op::Tick => {
                uart.update();
                uart.flush();
            }
        }
        let (after, pending) = *bytes.lock().unwrap();
        assert!(after - before <= 1, "one access wrote {} bytes", after - before);
        assert!(pending < MAX_LINE);
        assert!(uart.looped_back() <= FIFO_SIZE);
        assert!(input.len() <= INPUT_CAPACITY);
    }
});
