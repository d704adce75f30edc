//! The files under `tests/fixtures/agent/system/` are the output of
//! `system_common::fixtures`; this test fails when they drift. Regenerate with
//! `WARDEN_UPDATE_FIXTURES=1 cargo test -p warden-agent-core --test system_fixtures`.

mod system_common;

use system_common::{fixture_dir, fixtures};

#[test]
fn fixtures_are_current() {
    let dir = fixture_dir();
    let update = std::env::var_os("WARDEN_UPDATE_FIXTURES").is_some();
    for (name, bytes) in fixtures() {
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &bytes).unwrap();
            continue;
        }
        let on_disk = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e}; regenerate the fixtures", path.display()));
        assert!(
            on_disk == bytes,
            "{} is stale; regenerate the fixtures",
            path.display()
        );
    }
}

#[test]
fn generation_is_deterministic() {
    assert_eq!(fixtures(), fixtures());
}
