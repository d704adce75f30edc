//! The generated Intune scripts read by an independent PowerShell parser
//! (`tree-sitter-powershell`, from PyPI): every script parses without an error
//! node, and every value in `$Policy`, evaluated from the syntax tree, equals the
//! value `Registry.pol` carries.

mod windows_support;

use std::collections::BTreeMap;
use std::process::Command;

use warden_registry::{RegValue, read_pol};
use windows_support::{examples, fake_bundle, load, windows_artifacts};

/// Parses each script given on the command line and prints, as JSON, whether the
/// tree has errors and the `Key`/`Name`/`Kind`/`Data` of every `$Policy` entry,
/// evaluated from the tree: `'…'` literals (`''` is a quote), `[char]0xNNNN`
/// casts, `+` concatenation, parentheses and (negative) integers.
const PARSE: &str = r#"
import json, sys
import tree_sitter, tree_sitter_powershell as tsp
parser = tree_sitter.Parser(tree_sitter.Language(tsp.language()))

def text(src, n):
    return src[n.start_byte:n.end_byte].decode('ascii')

def ev(src, n):
    t = n.type
    if t == 'verbatim_string_characters':
        s = text(src, n)
        assert s[0] == "'" and s[-1] == "'", s
        return s[1:-1].replace("''", "'")
    if t == 'decimal_integer_literal':
        return int(text(src, n))
    if t == 'hexadecimal_integer_literal':
        return int(text(src, n), 16)
    if t == 'cast_expression':
        # `[char]0xNNNN`; the grammar nests the operand differently by context, so
        # take the cast's type name and its one integer literal wherever they sit.
        names, ints = [], []
        def collect(c):
            if c.type == 'type_name':
                names.append(text(src, c).lower())
            elif c.type == 'integer_literal':
                ints.append(c)
                return
            for g in c.children:
                collect(g)
        collect(n)
        assert names == ['char'] and len(ints) == 1, text(src, n)
        return chr(ev(src, ints[0]))
    if t == 'expression_with_unary_operator' and n.children[0].type == '-':
        return -ev(src, n.named_children[0])
    if t == 'additive_expression' and n.child_count == 3:
        assert n.children[1].type == '+', n.children[1].type
        return ev(src, n.children[0]) + ev(src, n.children[2])
    named = n.named_children
    assert len(named) == 1, (t, text(src, n))
    return ev(src, named[0])

out = {}
for path in sys.argv[1:]:
    src = open(path, 'rb').read()
    tree = parser.parse(src)
    errors = []
    def scan(n):
        if n.type == 'ERROR' or n.is_missing:
            errors.append(f'{n.type} at {n.start_point}')
        for c in n.children:
            scan(c)
    scan(tree.root_node)
    entries = []
    def find(n):
        if n.type == 'hash_literal_body':
            e = {}
            for h in n.named_children:
                if h.type != 'hash_entry':
                    continue
                key = text(src, h.named_children[0])
                value = ev(src, h.named_children[-1])
                if isinstance(value, str):
                    # [char] casts give UTF-16 units; join surrogate pairs.
                    value = value.encode('utf-16-le', 'surrogatepass').decode('utf-16-le')
                e[key] = value
            if set(e) == {'Key', 'Name', 'Kind', 'Data'}:
                entries.append(e)
        for c in n.children:
            find(c)
    find(tree.root_node)
    out[path] = {'errors': errors, 'entries': entries}
print(json.dumps(out))
"#;

#[test]
fn scripts_parse_and_embed_the_registry_pol_values() {
    let Some(python) = warden_testkit::require_python_module("tree_sitter_powershell") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["-c".to_owned(), PARSE.to_owned()];
    let mut expected = BTreeMap::new();
    for path in examples() {
        let p = load(&path);
        let files = windows_artifacts(&p, &fake_bundle(p.identity.serial)).unwrap();
        let pol: BTreeMap<(String, String), RegValue> = read_pol(&files["windows/Registry.pol"])
            .unwrap()
            .into_iter()
            .map(|e| ((e.key, e.value_name), e.value))
            .collect();
        for script in ["detect", "remediate", "install"] {
            let name = format!("{}-{script}.ps1", p.identity.id);
            let file = dir.path().join(&name);
            std::fs::write(&file, &files[&format!("windows/intune/{script}.ps1")]).unwrap();
            args.push(file.display().to_string());
            expected.insert(file.display().to_string(), pol.clone());
        }
    }
    let out = Command::new(python).args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (file, pol) in &expected {
        let parsed = &doc[file.as_str()];
        assert_eq!(parsed["errors"], serde_json::json!([]), "{file}");
        let got: BTreeMap<(String, String), RegValue> = parsed["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let key = e["Key"].as_str().unwrap().to_owned();
                let name = e["Name"].as_str().unwrap().to_owned();
                let value = match e["Kind"].as_str().unwrap() {
                    "DWord" => RegValue::Dword(e["Data"].as_i64().unwrap() as i32 as u32),
                    "String" => RegValue::Sz(e["Data"].as_str().unwrap().to_owned()),
                    other => panic!("{file}: kind {other}"),
                };
                ((key, name), value)
            })
            .collect();
        assert!(!got.is_empty(), "{file}: no $Policy entries found");
        assert_eq!(&got, pol, "{file}");
    }
}
