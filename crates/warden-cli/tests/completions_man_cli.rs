//! `warden completions` and `warden man`, read by the programs they are for: each
//! shell parses its completion script without running it, PowerShell's by an
//! independent parser (`tree-sitter-powershell`), and `man` renders every page.

use std::process::Command;

use warden_testkit::{require_python_module, require_tool, run_binary, stdout_with_input};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");
const PROGRAMS: [&str; 2] = ["warden", "warden-agent"];

fn generated(args: &[&str]) -> String {
    let (code, out, err) = run_binary(WARDEN, args);
    assert_eq!(code, 0, "warden {args:?}: {err}");
    assert!(!out.is_empty(), "warden {args:?} printed nothing");
    out
}

fn piped(cmd: &mut Command, input: &str) -> String {
    stdout_with_input(cmd, input.as_bytes())
}

#[test]
fn bash_parses_the_completions_and_they_complete_subcommands() {
    let Some(bash) = require_tool("bash") else {
        return;
    };
    for program in PROGRAMS {
        let script = generated(&["completions", "bash", "--program", program]);
        piped(Command::new(&bash).arg("-n"), &script);
        // Loaded for real, the function completes the first word.
        let func = format!("_{}", program.replace('-', "__"));
        let probe = format!(
            "{script}\nCOMP_WORDS=({program} ''); COMP_CWORD=1; COMP_LINE='{program} '; COMP_POINT=${{#COMP_LINE}}; {func} {program} '' {program}; printf '%s\\n' \"${{COMPREPLY[@]}}\"\n"
        );
        let words = piped(&mut Command::new(&bash), &probe);
        let expected: &[&str] = if program == "warden" {
            &["compile", "validate", "completions", "man"]
        } else {
            &["check", "enforce", "status"]
        };
        for w in expected {
            assert!(
                words.lines().any(|l| l == *w),
                "{program}: `{w}` not offered: {words}"
            );
        }
    }
}

#[test]
fn zsh_and_fish_parse_their_completions() {
    for (shell, check) in [("zsh", &["-n"][..]), ("fish", &["--no-execute"][..])] {
        let Some(bin) = require_tool(shell) else {
            continue;
        };
        for program in PROGRAMS {
            let script = generated(&["completions", shell, "--program", program]);
            piped(Command::new(&bin).args(check), &script);
        }
    }
}

#[test]
fn powershell_completions_parse_without_errors() {
    let Some(python) = require_python_module("tree_sitter_powershell") else {
        return;
    };
    // The grammar lacks PowerShell 4's method call with a bare script block argument
    // (`$list.Where{ … }`, "about_Arrays"), which clap_complete emits once; it is read
    // as the equivalent `$list.Where({ … })`. Everything else is parsed as generated.
    const PARSE: &str = r#"
import re, sys, tree_sitter, tree_sitter_powershell as tsp
parser = tree_sitter.Parser(tree_sitter.Language(tsp.language()))
src = sys.stdin.buffer.read()
src, n = re.subn(rb'\.Where\{([^{}\n]*)\}', rb'.Where({\1})', src)
assert n <= 1, n
tree = parser.parse(src)
print("error" if tree.root_node.has_error else "ok")
"#;
    for program in PROGRAMS {
        let script = generated(&["completions", "powershell", "--program", program]);
        assert!(script.contains("Register-ArgumentCompleter"), "{program}");
        let verdict = piped(Command::new(&python).args(["-c", PARSE]), &script);
        assert_eq!(verdict.trim(), "ok", "{program}: {script}");
    }
}

#[test]
fn man_renders_each_programs_page() {
    let Some(man) = require_tool("man") else {
        return;
    };
    for program in PROGRAMS {
        let page = generated(&["man", "--program", program]);
        assert!(page.starts_with(".ie"), "{program}: not roff: {page}");
        let text = piped(
            Command::new(&man)
                .args(["-l", "-"])
                .env("MANPAGER", "cat")
                .env("MANWIDTH", "80")
                .env("LC_ALL", "C.UTF-8"),
            &page,
        );
        assert!(text.contains("NAME"), "{program}: {text}");
        assert!(text.contains(program), "{program}: {text}");
        let sub = if program == "warden" {
            "compile"
        } else {
            "enforce"
        };
        assert!(
            text.contains(sub),
            "{program} page does not list `{sub}`: {text}"
        );
    }
}

#[test]
fn man_out_dir_writes_a_page_per_command_that_groff_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let listed = generated(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for page in [
        "warden.1",
        "warden-compile.1",
        "warden-trust.1",
        "warden-trust-init.1",
        "warden-agent.1",
        "warden-agent-check.1",
        "warden-agent-enforce.1",
        "warden-agent-status.1",
    ] {
        assert!(names.iter().any(|n| n == page), "no {page} in {names:?}");
    }
    assert!(!names.iter().any(|n| n.contains("help")), "{names:?}");
    assert_eq!(listed.lines().count(), names.len());
    let Some(groff) = require_tool("groff") else {
        return;
    };
    for name in &names {
        // -k: UTF-8 input, as `man` reads it; -ww: every warning; -z: diagnostics only.
        let out = Command::new(&groff)
            .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
            .arg(dir.path().join(name))
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}");
        let warnings = String::from_utf8_lossy(&out.stderr);
        assert!(warnings.trim().is_empty(), "{name}: {warnings}");
    }
}
