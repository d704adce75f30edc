//! An in-memory registry: the desired state the writers serialise and the
//! state a `.reg` file produces when applied.

use std::collections::BTreeMap;

use crate::pol::PolEntry;
use crate::regfile::{RegEntry, RegFile, ValueOp};
use crate::value::{Hive, KeyPath, RegValue, fold};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct KeyNode {
    path: Option<KeyPath>,
    /// Folded value name → (name as written, value).
    values: BTreeMap<String, (String, RegValue)>,
}

/// A set of keys with their values, compared case-insensitively as Windows
/// does, iterated in a fixed order (folded path, then folded value name with
/// the default value `""` first) so output built from it is deterministic.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RegTree {
    keys: BTreeMap<(Hive, String), KeyNode>,
}

impl RegTree {
    /// An empty tree.
    pub fn new() -> Self {
        RegTree::default()
    }

    fn node(&mut self, key: &KeyPath) -> &mut KeyNode {
        let node = self.keys.entry(key.folded()).or_default();
        if node.path.is_none() {
            node.path = Some(key.clone());
        }
        node
    }

    /// Creates `key` (without values) if it does not exist.
    pub fn create_key(&mut self, key: &KeyPath) {
        self.node(key);
    }

    /// Sets a value, creating the key; `""` names the key's default value.
    /// A name differing only in case replaces the existing value.
    pub fn set(&mut self, key: &KeyPath, name: &str, value: RegValue) {
        self.node(key)
            .values
            .insert(fold(name), (name.to_owned(), value));
    }

    /// Deletes one value if present.
    pub fn delete_value(&mut self, key: &KeyPath, name: &str) {
        if let Some(node) = self.keys.get_mut(&key.folded()) {
            node.values.remove(&fold(name));
        }
    }

    /// Deletes a key and all of its subkeys.
    pub fn delete_key(&mut self, key: &KeyPath) {
        let (hive, path) = key.folded();
        let prefix = format!("{path}\\");
        self.keys
            .retain(|(h, p), _| !(*h == hive && (*p == path || p.starts_with(&prefix))));
    }

    /// The values of `key`, or `None` when the key does not exist.
    pub fn values(&self, key: &KeyPath) -> Option<BTreeMap<String, RegValue>> {
        self.keys.get(&key.folded()).map(|node| {
            node.values
                .values()
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect()
        })
    }

    /// Every key in the tree, in the tree's fixed order.
    pub fn keys(&self) -> impl Iterator<Item = &KeyPath> {
        self.keys.values().filter_map(|node| node.path.as_ref())
    }

    /// Applies the operations of a parsed `.reg` file in order, as
    /// `reg import` would.
    pub fn apply(&mut self, file: &RegFile) {
        for entry in &file.entries {
            match entry {
                RegEntry::DeleteKey(key) => self.delete_key(key),
                RegEntry::Key { path, values } => {
                    self.create_key(path);
                    for (name, op) in values {
                        match op {
                            ValueOp::Set(value) => self.set(path, name, value.clone()),
                            ValueOp::Delete => self.delete_value(path, name),
                        }
                    }
                }
            }
        }
    }

    /// A `.reg` file that recreates this tree: one block per key, in order.
    pub fn to_reg_file(&self) -> RegFile {
        RegFile {
            entries: self
                .keys
                .values()
                .filter_map(|node| {
                    Some(RegEntry::Key {
                        path: node.path.clone()?,
                        values: node
                            .values
                            .values()
                            .map(|(name, value)| (name.clone(), ValueOp::Set(value.clone())))
                            .collect(),
                    })
                })
                .collect(),
        }
    }

    /// The `Registry.pol` records for the keys under `hive` (one file holds
    /// one scope, `Machine` or `User`, so keys carry no hive there).
    pub fn pol_entries(&self, hive: Hive) -> Vec<PolEntry> {
        self.keys
            .values()
            .filter_map(|node| node.path.as_ref().map(|p| (p, node)))
            .filter(|(path, _)| path.hive() == hive)
            .flat_map(|(path, node)| {
                node.values.values().map(|(name, value)| PolEntry {
                    key: path.path().to_owned(),
                    value_name: name.clone(),
                    value: value.clone(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: &str) -> KeyPath {
        KeyPath::new(Hive::LocalMachine, p).unwrap()
    }

    #[test]
    fn case_insensitive_keys_and_values() {
        let mut t = RegTree::new();
        t.set(&key(r"SOFTWARE\A"), "Name", RegValue::Dword(1));
        t.set(&key(r"software\a"), "NAME", RegValue::Dword(2));
        let v = t.values(&key(r"Software\A")).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v.get("NAME"), Some(&RegValue::Dword(2)));
        assert_eq!(t.keys().next().unwrap().path(), r"SOFTWARE\A");
    }

    #[test]
    fn delete_key_removes_subtree_only() {
        let mut t = RegTree::new();
        t.set(&key(r"S\A"), "x", RegValue::Dword(1));
        t.set(&key(r"S\A\B"), "x", RegValue::Dword(1));
        t.set(&key(r"S\AB"), "x", RegValue::Dword(1));
        t.delete_key(&key(r"s\a"));
        assert!(t.values(&key(r"S\A")).is_none());
        assert!(t.values(&key(r"S\A\B")).is_none());
        assert!(t.values(&key(r"S\AB")).is_some());
    }

    #[test]
    fn pol_entries_filter_by_hive_and_drop_it() {
        let mut t = RegTree::new();
        t.set(&key(r"S\A"), "x", RegValue::Dword(1));
        t.set(
            &KeyPath::new(Hive::CurrentUser, r"S\U").unwrap(),
            "y",
            RegValue::Dword(2),
        );
        let e = t.pol_entries(Hive::LocalMachine);
        assert_eq!(
            e,
            vec![PolEntry {
                key: r"S\A".into(),
                value_name: "x".into(),
                value: RegValue::Dword(1)
            }]
        );
    }
}
