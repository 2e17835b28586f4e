//! The engine that runs a VM's hart: the translator on x86-64 hosts, or the interpreter.

use std::sync::Arc;

#[cfg(target_arch = "x86_64")]
use ospite_dbt::{Dbt, DbtConfig};
use ospite_interp::{CacheStats, Engine, Hart, Interpreter, StopHandle, StopReason};
use ospite_mmu::MemoryMap;

#[cfg(target_arch = "x86_64")]
use crate::error::Error;
use crate::error::Result;

/// Which engine runs a VM's hart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EngineKind {
    /// The interpreter.
    Interp,
    /// The dynamic binary translator (x86-64 hosts only).
    Dbt,
}

impl EngineKind {
    /// Whether this host can run the translator.
    pub const DBT_AVAILABLE: bool = cfg!(target_arch = "x86_64");

    /// The translator where the host has one, else the interpreter.
    pub const fn best() -> EngineKind {
        if Self::DBT_AVAILABLE {
            EngineKind::Dbt
        } else {
            EngineKind::Interp
        }
    }
}

impl Default for EngineKind {
    /// [`EngineKind::best`].
    fn default() -> Self {
        EngineKind::best()
    }
}

/// A hart under one of the engines.
pub(crate) enum Cpu {
    Interp(Box<Interpreter<Arc<MemoryMap>>>),
    #[cfg(target_arch = "x86_64")]
    Dbt(Box<Dbt<Arc<MemoryMap>>>),
}

/// The translator's counters (empty where there is no translator).
#[cfg(target_arch = "x86_64")]
pub use ospite_dbt::DbtStats;
/// The translator's counters (empty where there is no translator).
#[cfg(not(target_arch = "x86_64"))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DbtStats;

impl Cpu {
    pub(crate) fn new(kind: EngineKind, hart: Hart, map: Arc<MemoryMap>) -> Result<Cpu> {
        Ok(match kind {
            #[cfg(target_arch = "x86_64")]
            EngineKind::Dbt => Cpu::Dbt(Box::new(
                Dbt::new(hart, map, DbtConfig::default())
                    .map_err(|e| Error::Engine(e.to_string()))?,
            )),
            _ => Cpu::Interp(Box::new(Interpreter::new(hart, map))),
        })
    }

    fn interp_mut(&mut self) -> &mut Interpreter<Arc<MemoryMap>> {
        match self {
            Cpu::Interp(i) => i,
            #[cfg(target_arch = "x86_64")]
            Cpu::Dbt(d) => d.interpreter_mut(),
        }
    }

    fn interp(&self) -> &Interpreter<Arc<MemoryMap>> {
        match self {
            Cpu::Interp(i) => i,
            #[cfg(target_arch = "x86_64")]
            Cpu::Dbt(d) => d.interpreter(),
        }
    }

    pub(crate) fn run(&mut self, budget: u64) -> StopReason {
        match self {
            Cpu::Interp(i) => i.run(budget),
            #[cfg(target_arch = "x86_64")]
            Cpu::Dbt(d) => d.run(budget),
        }
    }

    pub(crate) fn hart(&self) -> &Hart {
        self.interp().hart()
    }

    pub(crate) fn stop_handle(&self) -> StopHandle {
        self.interp().stop_handle()
    }

    pub(crate) fn set_trace(&mut self, out: Option<Box<dyn std::io::Write + Send>>) {
        self.interp_mut().set_trace(out);
    }

    /// Whether this engine translates blocks (and so can list them).
    pub(crate) fn translates(&self) -> bool {
        !matches!(self, Cpu::Interp(_))
    }

    /// Sends the translator's block listings to `out` (the interpreter has none).
    pub(crate) fn set_block_log(&mut self, out: Box<dyn std::io::Write + Send>) {
        #[cfg(target_arch = "x86_64")]
        if let Cpu::Dbt(d) = self {
            d.set_block_log(Some(out));
        }
    }

    pub(crate) fn cache_stats(&self) -> CacheStats {
        self.interp().cache_stats()
    }

    pub(crate) fn dbt_stats(&self) -> Option<DbtStats> {
        match self {
            Cpu::Interp(_) => None,
            #[cfg(target_arch = "x86_64")]
            Cpu::Dbt(d) => Some(d.stats()),
        }
    }
}
