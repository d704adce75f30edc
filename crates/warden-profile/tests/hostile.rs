//! Hostile profiles: each gives a clear finding, never a panic, and nothing is
//! written anywhere.

use warden_profile::{FsLoader, load};

fn codes_for(name: &str, bytes: &[u8]) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let before = std::fs::read(&path).unwrap();
    let loaded = load(&path, &FsLoader);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the profile was modified"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "files appeared"
    );
    assert!(loaded.profile.is_none());
    loaded
        .findings
        .into_iter()
        .map(|f| (f.code.to_string(), f.message))
        .collect()
}

fn assert_syntax(name: &str, bytes: &[u8], needle: &str) {
    let found = codes_for(name, bytes);
    assert!(
        found
            .iter()
            .any(|(c, m)| c == "syntax-error" && m.contains(needle)),
        "{name}: {found:?}"
    );
}

#[test]
fn huge_files_are_refused_before_parsing() {
    let huge = vec![b'#'; 2 * 1024 * 1024];
    assert_syntax("huge.toml", &huge, "limited to");
}

#[test]
fn deep_nesting_is_refused() {
    let toml = format!("a = {}{}", "[".repeat(50_000), "]".repeat(50_000));
    assert_syntax("deep.toml", toml.as_bytes(), "recursion");
    let json = format!(
        "{{\"a\": {}{}}}",
        "{\"b\": ".repeat(50_000),
        "}".repeat(50_000)
    );
    assert_syntax("deep.json", json.as_bytes(), "deeper than");
}

#[test]
fn invalid_utf8_is_refused() {
    assert_syntax("bad.toml", b"[profile]\nid = \"\xc3\x28\"\n", "UTF-8");
    assert_syntax("bad.json", b"{\"a\": \"\xff\"}", "UTF-8");
}

#[test]
fn duplicate_keys_are_refused() {
    assert_syntax(
        "dup.toml",
        b"[profile]\nid = \"a\"\nid = \"b\"\n",
        "duplicate",
    );
    assert_syntax(
        "dup.json",
        b"{\"profile\": {}, \"profile\": {}}",
        "duplicate key",
    );
}

#[test]
fn nul_bytes_are_refused_or_reported() {
    // A raw NUL is not valid TOML; an escaped one is a string no plist can carry.
    assert_syntax("nul.toml", b"[profile]\nid = \"a\0b\"\n", "");
    let escaped = b"[profile]\nid = \"x\"\nname = \"a\\u0000b\"\nserial = 1\n";
    let found = codes_for("nul-escaped.toml", escaped);
    assert!(
        found.iter().any(|(c, _)| c == "plist-unrepresentable"),
        "{found:?}"
    );
}

#[test]
fn a_profile_that_extends_itself_through_a_link_is_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.toml");
    std::fs::write(
        &a,
        "extends = \"b.toml\"\n[profile]\nid = \"a\"\nname = \"A\"\nserial = 1\n",
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&a, dir.path().join("b.toml")).unwrap();
    // Asked for under either name: the profile asked for is resolved for the check.
    for name in ["a.toml", "b.toml"] {
        let loaded = load(&dir.path().join(name), &FsLoader);
        assert!(
            loaded.findings.iter().any(|f| f.code == "extends-cycle"),
            "{name}: {:?}",
            loaded.findings
        );
    }
}
