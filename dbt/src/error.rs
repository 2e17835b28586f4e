//! Errors of building a translator.

/// What can go wrong when a translator is set up (never while it runs: guest behaviour is
/// never an error).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The code cache could not be mapped.
    #[error("cannot map a code cache of {size} bytes: {source}")]
    CodeCache {
        /// The size asked for.
        size: usize,
        /// The system's error.
        source: std::io::Error,
    },
    /// The entry trampoline could not be assembled (a bug).
    #[error("cannot assemble the entry trampoline: {0}")]
    Assemble(String),
}
