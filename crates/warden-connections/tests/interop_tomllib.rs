//! Interop: for every TOML form and depth the clients read, the connections found here are
//! the ones Python's `tomllib` finds in the same bytes (and `tomlkit`, which snow and the
//! connector use, where it is installed); a file they refuse is never judged as readable.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use warden_connections::{ConnectionSet, FileInput};

/// `(name, account)` of every connection Python finds, or `None` if the parser refuses
/// the file. `config` chooses `config.toml` semantics (connections under `connections`).
fn python(py: &Path, module: &str, bytes: &[u8], config: bool) -> Option<Vec<(String, String)>> {
    let script = format!(
        r#"
import sys, {module}
data = sys.stdin.buffer.read().decode("utf-8")
try:
    doc = {module}.loads(data)
    if "{module}" == "tomlkit":
        doc = doc.unwrap()
except Exception as e:
    print("REFUSED", type(e).__name__)
    sys.exit(0)
conns = doc.get("connections", {{}}) if {config} else doc
for name, c in conns.items():
    if isinstance(c, dict):
        print(name + "\t" + str(c.get("account", "")))
"#,
        config = if config { "True" } else { "False" }
    );
    let mut child = Command::new(py)
        .args(["-c", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    if text.starts_with("REFUSED") {
        return None;
    }
    Some(
        text.lines()
            .map(|l| {
                let (n, a) = l.split_once('\t').unwrap();
                (n.to_owned(), a.to_owned())
            })
            .collect(),
    )
}

fn ours(bytes: &[u8], config: bool) -> Option<Vec<(String, String)>> {
    let path = Path::new(if config {
        "/c/config.toml"
    } else {
        "/c/connections.toml"
    });
    let input = FileInput {
        path,
        content: Ok(bytes),
    };
    let set = if config {
        ConnectionSet::build(Some(input), None, &BTreeMap::new())
    } else {
        ConnectionSet::build(None, Some(input), &BTreeMap::new())
    };
    if !set.is_readable() {
        return None;
    }
    Some(
        set.connections
            .iter()
            .map(|c| (c.name.clone(), c.params.account.clone().unwrap_or_default()))
            .collect(),
    )
}

fn cases() -> Vec<(&'static str, bool, Vec<u8>)> {
    let nest = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
    let inline = |n: usize| format!("{}1{}", "{ y = ".repeat(n), " }".repeat(n));
    let conn = |extra: &str| {
        format!("[bad]\naccount = \"globex-prod\"\nx = {extra}\n[acme]\naccount = \"acme-prod\"\n")
    };
    vec![
        ("header tables", false, b"[a]\naccount = \"acme-prod\"\n[b]\naccount = \"acme-dev\"\n".to_vec()),
        ("inline tables", false, b"a = { account = \"acme-prod\" }\nb = { account = \"globex-x\", role = \"R\" }\n".to_vec()),
        ("dotted keys", false, b"a.account = \"acme-prod\"\na.role = \"R\"\nb.account = \"globex\"\n".to_vec()),
        ("config headers", true, b"[connections.a]\naccount = \"acme-prod\"\n[connections.b]\naccount = \"g\"\n".to_vec()),
        ("config inline section", true, b"default_connection_name = \"acme\"\nconnections = { bad = { account = \"globex-prod\" }, acme = { account = \"acme-prod\", user = \"u\" } }\n".to_vec()),
        ("config dotted section", true, b"connections.a.account = \"acme-prod\"\nconnections.b = { account = \"globex\" }\n".to_vec()),
        ("config section header", true, b"[connections]\na = { account = \"acme-prod\" }\nb.account = \"globex\"\n[connections.c]\naccount = \"c-d\"\n".to_vec()),
        ("arrays 100 deep", false, conn(&nest(100)).into_bytes()),
        ("arrays 450 deep", false, conn(&nest(450)).into_bytes()),
        ("arrays 600 deep", false, conn(&nest(600)).into_bytes()),
        ("inline tables 100 deep", false, conn(&inline(100)).into_bytes()),
        ("inline tables 300 deep", false, conn(&inline(300)).into_bytes()),
        ("byte order mark", false, b"\xef\xbb\xbf[a]\naccount = \"acme-prod\"\n".to_vec()),
        ("crlf", false, b"[a]\r\naccount = \"acme-prod\"\r\n".to_vec()),
    ]
}

#[test]
fn every_form_tomllib_reads_is_read_the_same() {
    let Some(py) = warden_testkit::require_python_module("tomllib") else {
        return;
    };
    for (what, config, bytes) in cases() {
        let theirs = python(&py, "tomllib", &bytes, config);
        let mine = ours(&bytes, config);
        match theirs {
            // tomllib reads it: the same connections, in the same order.
            Some(t) => assert_eq!(mine.as_ref(), Some(&t), "{what}"),
            // tomllib refuses it: so do we.
            None => assert_eq!(mine, None, "{what}"),
        }
    }
}

#[test]
fn every_form_the_clients_read_is_read_the_same() {
    let Some(py) = warden_testkit::require_python_module("tomlkit") else {
        return;
    };
    for (what, config, bytes) in cases() {
        // What the clients accept, we read identically; a file they refuse is never
        // judged as readable by us unless tomllib reads it too (the stricter answer).
        if let Some(t) = python(&py, "tomlkit", &bytes, config) {
            assert_eq!(ours(&bytes, config).as_ref(), Some(&t), "{what}");
        }
    }
}
