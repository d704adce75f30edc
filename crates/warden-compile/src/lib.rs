//! `warden compile`: one resolved profile in, deterministic artifacts out.
//!
//! Compilation runs in three phases so that later outputs plug in without touching
//! the others:
//!
//! 1. **Policy backends** ([`PolicyBackend`]) turn the profile into the files the
//!    policy itself consists of: Cortex Code's `managed-settings.json`
//!    ([`CortexBackend`]) and the Snowflake server side ([`SnowflakeSqlBackend`]).
//! 2. The caller signs a bundle over [`CompileOutput::context`] (the exact
//!    managed-settings bytes, the MDM values and the endpoint rules), adds it with
//!    [`CompileOutput::add_bundle`], and runs **delivery backends**
//!    ([`DeliveryBackend`], e.g. macOS profiles and Windows policy files), which
//!    receive the bundle bytes to embed.
//! 3. [`CompileOutput::finish`] adds `manifest.json` over every artifact.
//!
//! Nothing here touches the file system: artifacts are relative paths with `/`
//! separators plus bytes, and the same profile always yields the same bytes.
#![forbid(unsafe_code)]

mod backend;
pub mod enforcement;
mod error;
pub mod import;
pub mod intune_compliance;
pub mod limits;
pub mod macos;
pub mod managed_settings;
pub mod manifest;
pub mod mdm;
pub mod sql;
pub mod windows;

pub use backend::{
    Artifact, BUNDLE_PATH, CompileOutput, Context, CortexBackend, DeliveryBackend,
    MANAGED_SETTINGS_PATH, MANIFEST_PATH, PolicyBackend, SQL_PREFLIGHT_PATH, SQL_SETUP_PATH,
    SQL_TEARDOWN_PATH, SnowflakeSqlBackend, compile, compile_with, default_policy_backends,
};
pub use error::CompileError;
pub use intune_compliance::IntuneComplianceBackend;
pub use macos::MacosBackend;
pub use managed_settings::{CORTEX_MANAGED_SETTINGS_SCHEMA, ManagedSettings};
pub use manifest::{EndpointRule, Enforcer};
pub use mdm::{MdmKey, MdmValue, MdmValues};
pub use windows::WindowsBackend;
