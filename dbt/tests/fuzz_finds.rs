//! Inputs that the `interp_vs_dbt` fuzz target found (`dbt/tests/fuzz_finds/*.bin`), replayed:
//! each must now run the same on the interpreter and the translator.

mod support;

use support::fuzz::FuzzCase;

#[test]
fn fuzz_finds_run_the_same_on_both_engines() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_finds");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bin"))
        .collect();
    files.sort();
    let failures: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let case = FuzzCase::new(&std::fs::read(f).unwrap())?;
            case.compare()
                .err()
                .map(|e| format!("{}: {e}", f.display()))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A writer into a shared buffer (for the interpreter's trace and the translator's block log).
#[derive(Clone, Default)]
struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// For debugging a find: `FIND=path cargo test -p ospite-dbt --release --test fuzz_finds --
/// --ignored --nocapture` prints the smallest budget after which the interpreter and the first
/// translator differ (each run fresh), the last instructions of the interpreter stepping one
/// at a time (Spike's commit log; it may itself differ from the interpreter running blocks)
/// and the blocks the translator made up to there.
#[test]
#[ignore = "a debugging aid, run by hand with FIND set"]
fn bisect_a_find() {
    use support::{Cpu, Kind, RAM_SIZE};
    let path = std::env::var("FIND").expect("FIND=path of a fuzzer input");
    let case = FuzzCase::new(&std::fs::read(path).unwrap()).expect("at least 4 bytes");
    let (s, kind) = (&case.setup, case.kinds[0]);
    let differs = |n: u64| {
        let (mut a, mut b) = (Cpu::new(s, Kind::Interp), Cpu::new(s, kind));
        a.run(n) != b.run(n) || b.snapshot(RAM_SIZE) != a.snapshot(RAM_SIZE)
    };
    let total: u64 = case.budgets.iter().sum();
    assert!(differs(total), "no difference after {total} instructions");
    let (mut lo, mut hi) = (0, total);
    while hi - lo > 1 {
        let m = (lo + hi) / 2;
        if differs(m) {
            hi = m;
        } else {
            lo = m;
        }
    }
    // The interpreter with its trace on runs one instruction at a time: a third machine.
    let (mut a, mut b, mut c) = (
        Cpu::new(s, Kind::Interp),
        Cpu::new(s, kind),
        Cpu::new(s, Kind::Interp),
    );
    let (trace, log) = (Shared::default(), Shared::default());
    if let (Cpu::Interp(i), Cpu::Dbt(d)) = (&mut c, &mut b) {
        i.set_trace(Some(Box::new(trace.clone())));
        d.set_block_log(Some(Box::new(log.clone())));
    }
    a.run(hi);
    b.run(hi);
    c.run(hi);
    let trace = trace.text();
    let lines: Vec<&str> = trace.lines().collect();
    eprintln!(
        "{kind:?} first differs after {hi} instructions:\n{}\nprogram:\n{}\ninterpreter, \
         last instructions:\n{}\ntranslated blocks:\n{}",
        b.snapshot(RAM_SIZE).diff(&a.snapshot(RAM_SIZE)),
        support::listing(s),
        lines[lines.len().saturating_sub(30)..].join("\n"),
        log.text()
    );
}
