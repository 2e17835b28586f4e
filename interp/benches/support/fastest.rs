//! The fastest of several timed runs, for the whole-program benches (the interpreter's and the
//! translator's, which include this file).

use std::time::Duration;

/// The fastest of `runs` runs of `f` (each giving a result and its wall time).
pub fn fastest<T>(runs: usize, mut f: impl FnMut() -> (T, Duration)) -> (T, Duration) {
    let mut best = Fastest::new();
    for _ in 0..runs.max(1) {
        best.add(f());
    }
    best.best()
}

/// The fastest of runs added one by one.
pub struct Fastest<T>(Option<(T, Duration)>);

impl<T> Default for Fastest<T> {
    fn default() -> Self {
        Fastest(None)
    }
}

impl<T> Fastest<T> {
    pub fn new() -> Fastest<T> {
        Fastest::default()
    }

    pub fn add(&mut self, (run, wall): (T, Duration)) {
        if self.0.as_ref().is_none_or(|(_, best)| wall < *best) {
            self.0 = Some((run, wall));
        }
    }

    pub fn best(self) -> (T, Duration) {
        self.0.expect("at least one run")
    }
}
