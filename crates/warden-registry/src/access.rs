//! Read access to machine policy for the agent, behind [`PolicyRegistry`] so
//! that the agent's logic runs unchanged on Linux against `.reg` files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::regfile::{RegFile, RegParseError};
use crate::tree::RegTree;
use crate::value::{Hive, KeyPath, KeyPathError, RegValue};

/// Why a key could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The requested path is malformed.
    #[error("bad key path: {0}")]
    InvalidPath(#[from] KeyPathError),
    /// This implementation does not read that hive (policy is machine-wide).
    #[error("reading {0} is not supported; machine policy lives in HKEY_LOCAL_MACHINE")]
    UnsupportedHive(Hive),
    /// A backing `.reg` file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A backing `.reg` file is malformed.
    #[error("{path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: RegParseError,
    },
    /// The operating system refused the read.
    #[error("registry read of {key} failed: {message} (0x{code:08X})")]
    Os {
        /// Full key name.
        key: String,
        /// The HRESULT.
        code: u32,
        /// The system's message.
        message: String,
    },
    /// A value's data does not match its declared type.
    #[error("{key} value `{name}`: {source}")]
    Value {
        /// Full key name.
        key: String,
        /// Value name.
        name: String,
        /// The decoding problem.
        #[source]
        source: crate::value::ValueError,
    },
}

/// Reads the values of one registry key.
pub trait PolicyRegistry {
    /// The values of `hive\path` by name (`""` is the default value), or
    /// `None` when the key does not exist. Names keep the case they were
    /// stored with.
    fn read_key(
        &self,
        hive: Hive,
        path: &str,
    ) -> Result<Option<BTreeMap<String, RegValue>>, RegistryError>;
}

/// A registry backed by `.reg` files applied in order, as `reg import`
/// would apply them on a fresh machine. Used by tests and on non-Windows
/// hosts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegFileRegistry {
    tree: RegTree,
}

impl RegFileRegistry {
    /// A registry holding exactly `tree`.
    pub fn from_tree(tree: RegTree) -> Self {
        RegFileRegistry { tree }
    }

    /// Applies the contents of each `.reg` file in order; later files win.
    pub fn from_reg_bytes<'a>(
        files: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Self, RegParseError> {
        let mut tree = RegTree::new();
        for bytes in files {
            tree.apply(&RegFile::parse(bytes)?);
        }
        Ok(RegFileRegistry { tree })
    }

    /// Reads and applies `.reg` files from disk, in order.
    pub fn open(paths: &[impl AsRef<Path>]) -> Result<Self, RegistryError> {
        let mut tree = RegTree::new();
        for path in paths {
            let path = path.as_ref();
            let bytes = std::fs::read(path).map_err(|source| RegistryError::Io {
                path: path.to_owned(),
                source,
            })?;
            let file = RegFile::parse(&bytes).map_err(|source| RegistryError::Parse {
                path: path.to_owned(),
                source,
            })?;
            tree.apply(&file);
        }
        Ok(RegFileRegistry { tree })
    }

    /// The underlying tree.
    pub fn tree(&self) -> &RegTree {
        &self.tree
    }
}

impl PolicyRegistry for RegFileRegistry {
    fn read_key(
        &self,
        hive: Hive,
        path: &str,
    ) -> Result<Option<BTreeMap<String, RegValue>>, RegistryError> {
        Ok(self.tree.values(&KeyPath::new(hive, path)?))
    }
}

/// The live registry, reading `HKEY_LOCAL_MACHINE` through its 64-bit view
/// (`KEY_WOW64_64KEY`) so a 32-bit build cannot be redirected to
/// `WOW6432Node`. Other hives are refused: only machine policy is trusted.
#[cfg(windows)]
#[derive(Debug, Clone, Copy, Default)]
pub struct WindowsRegistry;

#[cfg(windows)]
impl PolicyRegistry for WindowsRegistry {
    fn read_key(
        &self,
        hive: Hive,
        path: &str,
    ) -> Result<Option<BTreeMap<String, RegValue>>, RegistryError> {
        /// `KEY_WOW64_64KEY` from winnt.h.
        const KEY_WOW64_64KEY: u32 = 0x0100;
        /// `HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)`.
        const NOT_FOUND: u32 = 0x8007_0002;

        if hive != Hive::LocalMachine {
            return Err(RegistryError::UnsupportedHive(hive));
        }
        let key_path = KeyPath::new(hive, path)?;
        let key = match windows_registry::LOCAL_MACHINE
            .options()
            .read()
            .access(KEY_WOW64_64KEY)
            .open(path)
        {
            Ok(key) => key,
            Err(e) if e.code().0 as u32 == NOT_FOUND => return Ok(None),
            Err(e) => {
                return Err(RegistryError::Os {
                    key: key_path.full_name(),
                    code: e.code().0 as u32,
                    message: e.message(),
                });
            }
        };
        let values = key.values().map_err(|e| RegistryError::Os {
            key: key_path.full_name(),
            code: e.code().0 as u32,
            message: e.message(),
        })?;
        let mut out = BTreeMap::new();
        for (name, value) in values {
            let decoded =
                RegValue::from_bytes(u32::from(value.ty()), &value).map_err(|source| {
                    RegistryError::Value {
                        key: key_path.full_name(),
                        name: name.clone(),
                        source,
                    }
                })?;
            out.insert(name, decoded);
        }
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_files_win_and_deletions_apply() {
        let a = "REGEDIT4\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Warden\\Agent]\r\n\"PolicySerial\"=dword:00000001\r\n\"Old\"=\"x\"\r\n";
        let b = "REGEDIT4\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Warden\\Agent]\r\n\"policyserial\"=dword:00000002\r\n\"Old\"=-\r\n[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Gone]\r\n";
        let reg = RegFileRegistry::from_reg_bytes([a.as_bytes(), b.as_bytes()]).unwrap();
        let v = reg
            .read_key(Hive::LocalMachine, r"software\policies\warden\agent")
            .unwrap()
            .unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v.get("policyserial"), Some(&RegValue::Dword(2)));
        assert_eq!(
            reg.read_key(Hive::LocalMachine, r"SOFTWARE\Policies\Missing")
                .unwrap(),
            None
        );
        assert!(matches!(
            reg.read_key(Hive::LocalMachine, r"a\\b"),
            Err(RegistryError::InvalidPath(_))
        ));
    }

    #[test]
    fn open_reports_io_and_parse_errors_with_paths() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.reg");
        assert!(matches!(
            RegFileRegistry::open(&[&missing]),
            Err(RegistryError::Io { path, .. }) if path == missing
        ));
        let bad = dir.path().join("bad.reg");
        std::fs::write(&bad, "not a reg file").unwrap();
        assert!(matches!(
            RegFileRegistry::open(&[&bad]),
            Err(RegistryError::Parse { source, .. }) if source.line == 1
        ));
    }
}
