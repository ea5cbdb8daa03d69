//! Logging setup: one subscriber for the process, text or JSON, filtered by `RUST_LOG`. Colour
//! codes only go to a terminal: logs redirected to a file or collected by a supervisor stay
//! plain text.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber at `info` unless `RUST_LOG` says otherwise.
pub fn init(json: bool) {
    init_with_default(json, "info");
}

/// Installs the global subscriber with `default` as the filter when `RUST_LOG` is unset;
/// later calls are ignored (tests start many servers in one process).
pub fn init_with_default(json: bool, default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
