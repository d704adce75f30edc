#![no_main]
//! The connection-file reader and the audit on arbitrary bytes, as `connections.toml`
//! and as `config.toml`: notes and verdicts, never a panic.

use std::collections::BTreeMap;
use std::path::Path;

use warden_connections::{ConnectionSet, FileInput};
use warden_policy::Policy;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let env = BTreeMap::new();
    let policy = Policy::default();
    for as_connections in [true, false] {
        let input = FileInput {
            path: Path::new(if as_connections { "connections.toml" } else { "config.toml" }),
            content: Ok(data),
        };
        let set = if as_connections {
            ConnectionSet::build(None, Some(input), &env)
        } else {
            ConnectionSet::build(Some(input), None, &env)
        };
        for c in &set.connections {
            let _ = policy.evaluate_connection(&c.params);
        }
    }
});
