//! Hostile homes: symlink loops, unreadable files, files of another owner. Each
//! gives a clear finding, no panic, and `enforce` changes nothing on disk that it
//! must not touch.

mod user_support;

use std::os::unix::fs::symlink;

use user_support::{codes, policy, stage, tree};
use warden_agent_core::user::{check, enforce};

/// Run check and enforce; return the codes of both reports, and assert that the
/// listed paths (relative to `.snowflake`) are byte-for-byte untouched.
fn run(home: &user_support::Home) -> (Vec<String>, Vec<String>) {
    let before = tree(&home.home);
    let checked = check(&policy(), &home.opts());
    assert_eq!(tree(&home.home), before, "check wrote something");
    let enforced = enforce(&policy(), &home.opts());
    (codes(&checked), codes(&enforced))
}

#[test]
fn a_symlink_loop_in_place_of_connections_toml_is_reported_and_left_alone() {
    let home = stage("compliant");
    let sf = home.sf();
    std::fs::remove_file(sf.join("connections.toml")).unwrap();
    symlink("loop", sf.join("connections.toml")).unwrap();
    symlink("connections.toml", sf.join("loop")).unwrap();
    let (checked, enforced) = run(&home);
    assert!(
        checked.iter().any(|c| c == "file-unreadable"),
        "{checked:?}"
    );
    assert!(
        enforced.iter().any(|c| c == "file-unreadable"),
        "{enforced:?}"
    );
    // Both links are still links to each other.
    assert_eq!(
        std::fs::read_link(sf.join("connections.toml"))
            .unwrap()
            .to_str(),
        Some("loop")
    );
    assert_eq!(
        std::fs::read_link(sf.join("loop")).unwrap().to_str(),
        Some("connections.toml")
    );
}

#[test]
fn a_snowflake_directory_that_links_to_itself_is_reported() {
    let home = stage("compliant");
    std::fs::remove_dir_all(home.sf()).unwrap();
    symlink(".snowflake", home.sf()).unwrap();
    let (checked, enforced) = run(&home);
    assert!(!checked.is_empty() && !enforced.is_empty());
    assert_eq!(
        std::fs::read_link(home.sf()).unwrap().to_str(),
        Some(".snowflake")
    );
}

#[test]
fn a_directory_where_a_file_should_be_is_reported_and_left_alone() {
    let home = stage("compliant");
    let sf = home.sf();
    std::fs::remove_file(sf.join("connections.toml")).unwrap();
    std::fs::create_dir(sf.join("connections.toml")).unwrap();
    std::fs::write(sf.join("connections.toml/keep"), b"x").unwrap();
    let (checked, _) = run(&home);
    assert!(!checked.is_empty(), "{checked:?}");
    assert!(sf.join("connections.toml").is_dir());
    assert_eq!(
        std::fs::read(sf.join("connections.toml/keep")).unwrap(),
        b"x"
    );
}

#[test]
fn a_file_owned_by_someone_else_is_reported_and_its_content_left_alone() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("\n!!! SKIPPED: changing a file's owner needs root\n");
        return;
    }
    let home = stage("noncompliant");
    let file = home.sf().join("connections.toml");
    let original = std::fs::read(&file).unwrap();
    std::os::unix::fs::chown(&file, Some(65534), Some(65534)).unwrap();
    let (checked, _) = run(&home);
    assert!(checked.iter().any(|c| c.contains("owner")), "{checked:?}");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        original,
        "another user's file was edited"
    );
}
