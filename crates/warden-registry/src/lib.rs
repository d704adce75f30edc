//! Windows registry formats and registry access for Warden.
//!
//! Everything here is data in, bytes out: the value model ([`RegValue`],
//! [`KeyPath`], [`RegTree`]), `.reg` files ([`RegFile`]), `Registry.pol`
//! ([`write_pol`], [`read_pol`]) and ADMX/ADML templates
//! ([`generate_admx`]). Output is deterministic for identical input. The
//! only I/O lives in [`RegFileRegistry::open`] and, on Windows,
//! `WindowsRegistry`. Product-specific locations are in [`known`].
#![forbid(unsafe_code)]

pub mod access;
pub mod admx;
pub mod known;
pub mod pol;
pub mod regfile;
pub mod tree;
pub mod value;

#[cfg(windows)]
pub use access::WindowsRegistry;
pub use access::{PolicyRegistry, RegFileRegistry, RegistryError};
pub use admx::{
    AdmxError, AdmxFiles, AdmxPolicy, AdmxPolicyKind, AdmxTemplate, PolicyClass, generate_admx,
};
pub use pol::{PolEntry, PolReadError, PolWriteError, read_pol, write_pol};
pub use regfile::{RegEntry, RegFile, RegParseError, RegParseErrorKind, RegWriteError, ValueOp};
pub use tree::RegTree;
pub use value::{Hive, KeyPath, KeyPathError, RegType, RegValue, ValueError};
