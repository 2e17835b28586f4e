//! The PLIC (`sifive,plic-1.0.0`): source priorities, pending bits, per-context enables and
//! thresholds, claim and complete. Two contexts per hart, as on QEMU virt: context `2h` is hart
//! `h`'s M-mode (drives MEIP), context `2h + 1` its S-mode (drives SEIP).
//!
//! Sources are level-triggered: a source is pending while its level is high and it is not
//! claimed; completing it lets it pend again if its level is still high.

use ospite_interp::{Interrupt, IrqLines};
use ospite_mmu::{AccessSize, Device, DeviceError};

use super::IrqLevels;

/// The number of sources QEMU virt's PLIC has (`riscv,ndev`); source 0 does not exist.
pub const NUM_SOURCES: u32 = 96;

const PENDING: u64 = 0x1000;
const ENABLE: u64 = 0x2000;
const ENABLE_STRIDE: u64 = 0x80;
const CONTEXT: u64 = 0x20_0000;
const CONTEXT_STRIDE: u64 = 0x1000;

/// The size of the PLIC's register region on QEMU virt.
pub const SIZE: u64 = 0x60_0000;

/// The PLIC's state.
#[derive(Debug)]
pub struct Plic {
    levels: IrqLevels,
    harts: Vec<IrqLines>,
    priority: [u32; 128],
    pending: u128,
    claimed: u128,
    enable: Vec<u128>,
    threshold: Vec<u32>,
}

impl Plic {
    /// A PLIC sampling `levels` and driving MEIP and SEIP of `harts`.
    pub fn new(levels: IrqLevels, harts: Vec<IrqLines>) -> Plic {
        let contexts = 2 * harts.len();
        Plic {
            levels,
            harts,
            priority: [0; 128],
            pending: 0,
            claimed: 0,
            enable: vec![0; contexts],
            threshold: vec![0; contexts],
        }
    }

    const VALID: u128 = ((1u128 << NUM_SOURCES) - 1) & !1;

    /// Samples the source levels and drives every context's output line.
    pub fn update(&mut self) {
        let levels = u128::from(self.levels.get());
        self.pending = levels & !self.claimed & Self::VALID;
        for (h, lines) in self.harts.iter().enumerate() {
            let m = self.best(2 * h).is_some();
            let s = self.best(2 * h + 1).is_some();
            lines.set(Interrupt::MachineExternal, m);
            lines.set(Interrupt::SupervisorExternal, s);
        }
    }

    /// The highest-priority source pending and enabled for `ctx` above its threshold.
    fn best(&self, ctx: usize) -> Option<u32> {
        let mut set = self.pending & self.enable[ctx];
        let mut best: Option<(u32, u32)> = None;
        while set != 0 {
            let src = set.trailing_zeros();
            set &= set - 1;
            let prio = self.priority[src as usize];
            if prio > self.threshold[ctx] && best.is_none_or(|(_, p)| prio > p) {
                best = Some((src, prio));
            }
        }
        best.map(|(s, _)| s)
    }

    fn contexts(&self) -> u64 {
        self.enable.len() as u64
    }
}

impl Device for Plic {
    fn read(&mut self, offset: u64, size: AccessSize) -> Result<u64, DeviceError> {
        if size != AccessSize::B4 {
            return Err(DeviceError);
        }
        self.update();
        let n = self.contexts();
        let v = match offset {
            o if o < 4 * u64::from(NUM_SOURCES) => self.priority[(o / 4) as usize],
            o if (PENDING..PENDING + 16).contains(&o) => {
                (self.pending >> ((o - PENDING) * 8)) as u32
            }
            o if (ENABLE..ENABLE + ENABLE_STRIDE * n).contains(&o) => {
                let ctx = ((o - ENABLE) / ENABLE_STRIDE) as usize;
                let word = (o - ENABLE) % ENABLE_STRIDE / 4;
                if word < 4 {
                    (self.enable[ctx] >> (word * 32)) as u32
                } else {
                    0
                }
            }
            o if (CONTEXT..CONTEXT + CONTEXT_STRIDE * n).contains(&o) => {
                let ctx = ((o - CONTEXT) / CONTEXT_STRIDE) as usize;
                match (o - CONTEXT) % CONTEXT_STRIDE {
                    0 => self.threshold[ctx],
                    4 => {
                        let claim = self.best(ctx).unwrap_or(0);
                        if claim != 0 {
                            self.claimed |= 1 << claim;
                            self.update();
                        }
                        claim
                    }
                    _ => 0,
                }
            }
            _ => 0,
        };
        Ok(u64::from(v))
    }

    fn write(&mut self, offset: u64, size: AccessSize, value: u64) -> Result<(), DeviceError> {
        if size != AccessSize::B4 {
            return Err(DeviceError);
        }
        let value = value as u32;
        let n = self.contexts();
        match offset {
            o if o != 0 && o < 4 * u64::from(NUM_SOURCES) => {
                self.priority[(o / 4) as usize] = value & 7;
            }
            o if (ENABLE..ENABLE + ENABLE_STRIDE * n).contains(&o) => {
                let ctx = ((o - ENABLE) / ENABLE_STRIDE) as usize;
                let word = (o - ENABLE) % ENABLE_STRIDE / 4;
                if word < 4 {
                    let shift = word * 32;
                    let mask = (0xffff_ffffu128 << shift) & Self::VALID;
                    self.enable[ctx] =
                        (self.enable[ctx] & !mask) | ((u128::from(value) << shift) & mask);
                }
            }
            o if (CONTEXT..CONTEXT + CONTEXT_STRIDE * n).contains(&o) => {
                let ctx = ((o - CONTEXT) / CONTEXT_STRIDE) as usize;
                match (o - CONTEXT) % CONTEXT_STRIDE {
                    0 => self.threshold[ctx] = value & 7,
                    4 if value < NUM_SOURCES => self.claimed &= !(1u128 << value),
                    _ => {}
                }
            }
            _ => {}
        }
        self.update();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plic() -> (Plic, IrqLevels, IrqLines) {
        let levels = IrqLevels::new();
        let lines = IrqLines::new();
        (
            Plic::new(levels.clone(), vec![lines.clone()]),
            levels,
            lines,
        )
    }

    const MEIP: u64 = 1 << 11;
    const SEIP: u64 = 1 << 9;

    #[test]
    fn enabled_source_above_threshold_raises_meip_and_claim_returns_it() {
        let (mut p, levels, lines) = plic();
        p.write(4 * 10, AccessSize::B4, 1).unwrap();
        p.write(ENABLE, AccessSize::B4, 1 << 10).unwrap();
        levels.set(10, true);
        p.update();
        assert_eq!(lines.get() & (MEIP | SEIP), MEIP);
        assert_eq!(p.read(CONTEXT + 4, AccessSize::B4).unwrap(), 10);
        assert_eq!(lines.get() & MEIP, 0);
        assert_eq!(p.read(CONTEXT + 4, AccessSize::B4).unwrap(), 0);
    }

    #[test]
    fn complete_lets_a_still_high_source_pend_again() {
        let (mut p, levels, lines) = plic();
        p.write(4 * 10, AccessSize::B4, 1).unwrap();
        p.write(ENABLE + ENABLE_STRIDE, AccessSize::B4, 1 << 10)
            .unwrap();
        levels.set(10, true);
        let ctx1 = CONTEXT + CONTEXT_STRIDE;
        assert_eq!(p.read(ctx1 + 4, AccessSize::B4).unwrap(), 10);
        p.write(ctx1 + 4, AccessSize::B4, 10).unwrap();
        assert_eq!(lines.get() & (MEIP | SEIP), SEIP);
    }

    #[test]
    fn threshold_masks_equal_priority() {
        let (mut p, levels, lines) = plic();
        p.write(4 * 10, AccessSize::B4, 1).unwrap();
        p.write(ENABLE, AccessSize::B4, 1 << 10).unwrap();
        p.write(CONTEXT, AccessSize::B4, 1).unwrap();
        levels.set(10, true);
        p.update();
        assert_eq!(lines.get() & MEIP, 0);
    }
}
