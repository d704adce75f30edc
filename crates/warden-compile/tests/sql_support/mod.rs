//! Reading generated SQL back: statements, blocks and statement shapes.

// Each test binary that includes this module uses a part of it.
#![allow(dead_code)]

/// One statement of a script: top level, or inside a Snowflake Scripting block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement {
    pub(crate) text: String,
    pub(crate) in_block: bool,
}

/// A script split into its top-level statements and blocks. Comment lines are
/// dropped; a block is `EXECUTE IMMEDIATE $$` … `$$;`, its body returned whole.
pub(crate) fn split(script: &str) -> (Vec<String>, Vec<String>) {
    let mut statements = Vec::new();
    let mut blocks = Vec::new();
    let mut buf = String::new();
    let mut in_block = false;
    for line in script.lines() {
        if in_block {
            if line == "$$;" {
                blocks.push(std::mem::take(&mut buf));
                in_block = false;
            } else {
                buf.push_str(line);
                buf.push('\n');
            }
            continue;
        }
        if buf.is_empty() && (line.starts_with("--") || line.trim().is_empty()) {
            continue;
        }
        if line == "EXECUTE IMMEDIATE $$" {
            assert!(buf.is_empty(), "block opened inside a statement: {buf}");
            in_block = true;
            continue;
        }
        buf.push_str(line);
        buf.push('\n');
        if line.trim_end().ends_with(';') {
            statements.push(std::mem::take(&mut buf));
        }
    }
    assert!(!in_block && buf.trim().is_empty(), "unterminated: {buf}");
    (statements, blocks)
}

/// The SQL statements inside a block body (declarations and control flow dropped).
pub(crate) fn block_statements(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut section = "";
    for line in body.lines() {
        let t = line.trim();
        if buf.is_empty() {
            match t {
                "DECLARE" | "BEGIN" | "END;" | "END IF;" => {
                    section = t;
                    continue;
                }
                _ if section == "DECLARE" => continue,
                _ if t.starts_with("IF (")
                    || t.starts_with("RETURN ")
                    || t.starts_with("RAISE ") =>
                {
                    continue;
                }
                _ => {}
            }
        }
        buf.push_str(t);
        buf.push('\n');
        if t.ends_with(';') {
            out.push(std::mem::take(&mut buf));
        }
    }
    out
}

/// Every statement of a script, blocks opened.
pub(crate) fn all_statements(script: &str) -> Vec<Statement> {
    let (top, blocks) = split(script);
    let mut out: Vec<Statement> = top
        .into_iter()
        .map(|text| Statement {
            text,
            in_block: false,
        })
        .collect();
    for b in blocks {
        out.extend(block_statements(&b).into_iter().map(|text| Statement {
            text,
            in_block: true,
        }));
    }
    out
}

/// A statement's shape: quoted identifiers become `ID`, string literals `STR`,
/// numbers `NUM`, a run of list items `X, X, …` one `X…`, and whitespace one space.
pub(crate) fn shape(stmt: &str) -> String {
    let mut tokens: Vec<String> = Vec::new();
    let chars: Vec<char> = stmt.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' || c == '\'' {
            let mut j = i + 1;
            loop {
                if j >= chars.len() {
                    break;
                }
                if chars[j] == '\\' && c == '\'' {
                    j += 2;
                    continue;
                }
                if chars[j] == c {
                    if chars.get(j + 1) == Some(&c) {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            tokens.push(if c == '"' { "ID" } else { "STR" }.into());
            i = j + 1;
        } else if c.is_ascii_digit() {
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            tokens.push("NUM".into());
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else {
            tokens.push(c.to_string());
            i += 1;
        }
    }
    // `ID . ID . ID` → `ID.ID.ID`
    let mut joined: Vec<String> = Vec::new();
    for t in tokens {
        if joined.len() >= 2 && joined[joined.len() - 1] == "." && t == "ID" {
            joined.pop();
            let last = joined.pop().unwrap();
            joined.push(format!("{last}.ID"));
        } else {
            joined.push(t);
        }
    }
    // `X , X , X` → `X…`
    let mut out: Vec<String> = Vec::new();
    for t in joined {
        let n = out.len();
        if n >= 2 && out[n - 1] == "," && (out[n - 2] == t || out[n - 2] == format!("{t}…")) {
            out.pop();
            out.pop();
            out.push(format!("{t}…"));
        } else {
            out.push(t);
        }
    }
    // A one-item list `( X )` is a list too: `( X… )`.
    for i in 1..out.len().saturating_sub(1) {
        if out[i - 1] == "(" && out[i + 1] == ")" && (out[i] == "STR" || out[i] == "ID") {
            out[i] = format!("{}…", out[i]);
        }
    }
    out.join(" ")
}
