//! The compile pipeline: policy backends, then the signed bundle and delivery
//! backends, then the manifest.

use std::collections::BTreeMap;

use warden_profile::ResolvedProfile;

use crate::CompileError;
use crate::managed_settings::ManagedSettings;
use crate::manifest::{self, EndpointRule};
use crate::mdm::MdmValues;

/// Cortex Code's file, at the top of the profile folder.
pub const MANAGED_SETTINGS_PATH: &str = "managed-settings.json";
/// The signed bundle, added by the caller.
pub const BUNDLE_PATH: &str = "bundle.dsse.json";
/// The manifest, written last.
pub const MANIFEST_PATH: &str = "manifest.json";
/// Snowflake server-side setup.
pub const SQL_SETUP_PATH: &str = "snowflake/setup.sql";
/// Path of the read-only checks to run before setup.
pub const SQL_PREFLIGHT_PATH: &str = "snowflake/preflight.sql";
/// Snowflake server-side teardown.
pub const SQL_TEARDOWN_PATH: &str = "snowflake/teardown.sql";

/// One output file: a relative path with `/` separators, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub path: String,
    pub bytes: Vec<u8>,
}

impl Artifact {
    pub fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            path: path.into(),
            bytes: bytes.into(),
        }
    }
}

/// What every backend may read: the profile and the values derived from it once, so
/// that the file, the MDM keys and the bundle's expected state cannot disagree.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub profile: &'a ResolvedProfile,
    pub managed_settings: ManagedSettings,
    /// The exact bytes of `managed-settings.json`.
    pub managed_settings_bytes: Vec<u8>,
    /// Cortex Code's MDM key values.
    pub mdm: MdmValues,
    /// Rules only the endpoint agent enforces (also listed in the manifest).
    pub endpoint_rules: Vec<EndpointRule>,
}

impl<'a> Context<'a> {
    pub fn new(profile: &'a ResolvedProfile) -> Result<Self, CompileError> {
        let managed_settings = ManagedSettings::from_profile(profile)?;
        let managed_settings_bytes = managed_settings.to_bytes()?;
        let mdm = MdmValues::from_settings(
            &managed_settings,
            &managed_settings_bytes,
            profile.cortex.managed_settings_base64_enabled,
        )?;
        Ok(Self {
            profile,
            managed_settings,
            managed_settings_bytes,
            mdm,
            endpoint_rules: manifest::endpoint_rules(profile),
        })
    }
}

/// A backend that needs only the policy (phase 1).
pub trait PolicyBackend {
    /// Short name, used in errors.
    fn name(&self) -> &'static str;
    fn artifacts(&self, cx: &Context<'_>) -> Result<Vec<Artifact>, CompileError>;
}

/// A backend that embeds the signed bundle (phase 2), such as MDM profiles.
pub trait DeliveryBackend {
    /// Short name, used in errors.
    fn name(&self) -> &'static str;
    fn artifacts(&self, cx: &Context<'_>, bundle: &[u8]) -> Result<Vec<Artifact>, CompileError>;
}

/// `managed-settings.json`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CortexBackend;

impl PolicyBackend for CortexBackend {
    fn name(&self) -> &'static str {
        "cortex"
    }

    fn artifacts(&self, cx: &Context<'_>) -> Result<Vec<Artifact>, CompileError> {
        Ok(vec![Artifact::new(
            MANAGED_SETTINGS_PATH,
            cx.managed_settings_bytes.clone(),
        )])
    }
}

/// `snowflake/preflight.sql`, `setup.sql` and `teardown.sql`, when the profile has a
/// `[snowflake]` section.
#[derive(Debug, Clone, Copy, Default)]
pub struct SnowflakeSqlBackend;

impl PolicyBackend for SnowflakeSqlBackend {
    fn name(&self) -> &'static str {
        "snowflake-sql"
    }

    fn artifacts(&self, cx: &Context<'_>) -> Result<Vec<Artifact>, CompileError> {
        Ok(match crate::sql::render(cx.profile)? {
            None => Vec::new(),
            Some(scripts) => vec![
                Artifact::new(SQL_PREFLIGHT_PATH, scripts.preflight),
                Artifact::new(SQL_SETUP_PATH, scripts.setup),
                Artifact::new(SQL_TEARDOWN_PATH, scripts.teardown),
            ],
        })
    }
}

/// The policy backends this crate provides, in run order.
pub fn default_policy_backends() -> [&'static dyn PolicyBackend; 2] {
    [&CortexBackend, &SnowflakeSqlBackend]
}

/// Run the default policy backends.
pub fn compile(profile: &ResolvedProfile) -> Result<CompileOutput<'_>, CompileError> {
    compile_with(profile, &default_policy_backends())
}

/// Run the given policy backends.
pub fn compile_with<'a>(
    profile: &'a ResolvedProfile,
    backends: &[&dyn PolicyBackend],
) -> Result<CompileOutput<'a>, CompileError> {
    let mut out = CompileOutput {
        cx: Context::new(profile)?,
        artifacts: BTreeMap::new(),
        bundle_added: false,
    };
    for backend in backends {
        let produced = backend.artifacts(&out.cx)?;
        out.insert_all(produced)?;
    }
    Ok(out)
}

/// Artifacts so far, plus the context later phases need.
///
/// The hook for signing: read [`CompileOutput::context`] (managed-settings bytes, MDM
/// values, endpoint rules), sign, then [`add_bundle`](Self::add_bundle), then
/// [`deliver`](Self::deliver), then [`finish`](Self::finish).
#[derive(Debug)]
pub struct CompileOutput<'a> {
    cx: Context<'a>,
    artifacts: BTreeMap<String, Vec<u8>>,
    bundle_added: bool,
}

impl<'a> CompileOutput<'a> {
    pub fn context(&self) -> &Context<'a> {
        &self.cx
    }

    /// Artifacts produced so far, by path.
    pub fn artifacts(&self) -> &BTreeMap<String, Vec<u8>> {
        &self.artifacts
    }

    /// Add the signed bundle as `bundle.dsse.json`.
    pub fn add_bundle(&mut self, bundle: Vec<u8>) -> Result<(), CompileError> {
        if self.bundle_added {
            return Err(CompileError::BundleAlreadyAdded);
        }
        self.artifacts.insert(BUNDLE_PATH.to_owned(), bundle);
        self.bundle_added = true;
        Ok(())
    }

    /// Run delivery backends; each receives the bundle bytes.
    pub fn deliver(&mut self, backends: &[&dyn DeliveryBackend]) -> Result<(), CompileError> {
        for backend in backends {
            let Some(bundle) = self
                .artifacts
                .get(BUNDLE_PATH)
                .filter(|_| self.bundle_added)
            else {
                return Err(CompileError::BundleMissing {
                    backend: backend.name(),
                });
            };
            let produced = backend.artifacts(&self.cx, bundle)?;
            self.insert_all(produced)?;
        }
        Ok(())
    }

    /// Sign the delivered `macos/<id>.mobileconfig` with `identity` and add the
    /// signed copy as `macos/<id>.signed.mobileconfig`; the unsigned file stays. Run
    /// after [`deliver`](Self::deliver) with the macOS backend.
    pub fn sign_mobileconfig(
        &mut self,
        identity: &warden_cms::SigningIdentity,
    ) -> Result<(), CompileError> {
        let id = self.cx.profile.identity.id.clone();
        let path = crate::macos::mobileconfig_path(&id);
        let Some(unsigned) = self.artifacts.get(&path) else {
            return Err(CompileError::MobileconfigMissing(path));
        };
        let signed =
            identity
                .sign(unsigned)
                .map_err(|source| CompileError::MobileconfigSigning {
                    path: path.clone(),
                    source,
                })?;
        self.insert_all(vec![Artifact::new(
            crate::macos::signed_mobileconfig_path(&id),
            signed,
        )])
    }

    /// Add `manifest.json` and return every artifact in path order. A profile that
    /// asks for a signed `.mobileconfig` must have been through
    /// [`sign_mobileconfig`](Self::sign_mobileconfig).
    pub fn finish(mut self) -> Result<Vec<Artifact>, CompileError> {
        let id = &self.cx.profile.identity.id;
        if self.cx.profile.macos.sign_mobileconfig == Some(true)
            && !self
                .artifacts
                .contains_key(&crate::macos::signed_mobileconfig_path(id))
        {
            return Err(CompileError::MobileconfigNotSigned);
        }
        let enforcement = crate::enforcement::map(&self.cx)?;
        let manifest = manifest::render(
            self.cx.profile,
            &self.artifacts,
            &self.cx.endpoint_rules,
            &enforcement.controls,
        )?;
        self.artifacts.insert(MANIFEST_PATH.to_owned(), manifest);
        Ok(self
            .artifacts
            .into_iter()
            .map(|(path, bytes)| Artifact { path, bytes })
            .collect())
    }

    fn insert_all(&mut self, produced: Vec<Artifact>) -> Result<(), CompileError> {
        for a in produced {
            check_path(&a.path)?;
            if a.path == MANIFEST_PATH || a.path == BUNDLE_PATH {
                return Err(CompileError::ReservedArtifact(a.path));
            }
            if self.artifacts.contains_key(&a.path) {
                return Err(CompileError::DuplicateArtifact(a.path));
            }
            self.artifacts.insert(a.path, a.bytes);
        }
        Ok(())
    }
}

/// A relative path of plain `/`-separated components, portable to every OS.
fn check_path(path: &str) -> Result<(), CompileError> {
    let ok = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains(['\\', ':', '\0'])
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    if ok {
        Ok(())
    } else {
        Err(CompileError::InvalidArtifactPath(path.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_paths_must_be_plain_relative() {
        for good in ["a.json", "macos/x.mobileconfig", "windows/a/b.reg"] {
            assert!(check_path(good).is_ok(), "{good}");
        }
        for bad in ["", "/etc/x", "a/../b", "./a", "a//b", "a\\b", "C:x", "a/"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod pipeline_tests {
    use super::*;

    fn profile() -> ResolvedProfile {
        let p: warden_profile::Profile = serde_json::from_value(serde_json::json!({
            "profile": { "id": "pipeline", "name": "Pipeline", "serial": 7 }
        }))
        .unwrap();
        ResolvedProfile::from_root("pipeline.toml", &p)
    }

    /// Stands in for the macOS and Windows backends: embeds the bundle it is given.
    struct Embed(&'static str);

    impl DeliveryBackend for Embed {
        fn name(&self) -> &'static str {
            "embed"
        }
        fn artifacts(
            &self,
            cx: &Context<'_>,
            bundle: &[u8],
        ) -> Result<Vec<Artifact>, CompileError> {
            let mut bytes = bundle.to_vec();
            bytes.extend_from_slice(&cx.managed_settings_bytes);
            Ok(vec![Artifact::new(self.0, bytes)])
        }
    }

    #[test]
    fn delivery_needs_the_bundle_and_the_manifest_covers_everything() {
        let p = profile();
        let mut out = compile(&p).unwrap();
        assert!(matches!(
            out.deliver(&[&Embed("macos/a.mobileconfig")]),
            Err(CompileError::BundleMissing { backend: "embed" })
        ));
        out.add_bundle(b"signed".to_vec()).unwrap();
        assert!(matches!(
            out.add_bundle(b"again".to_vec()),
            Err(CompileError::BundleAlreadyAdded)
        ));
        out.deliver(&[&Embed("macos/a.mobileconfig")]).unwrap();
        assert!(out.artifacts()["macos/a.mobileconfig"].starts_with(b"signed{"));
        assert!(matches!(
            out.deliver(&[&Embed("macos/a.mobileconfig")]),
            Err(CompileError::DuplicateArtifact(_))
        ));
        assert!(matches!(
            out.deliver(&[&Embed(MANIFEST_PATH)]),
            Err(CompileError::ReservedArtifact(_))
        ));
        assert!(matches!(
            out.deliver(&[&Embed("../escape")]),
            Err(CompileError::InvalidArtifactPath(_))
        ));

        let files = out.finish().unwrap();
        let paths: Vec<&str> = files.iter().map(|a| a.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                BUNDLE_PATH,
                "macos/a.mobileconfig",
                MANAGED_SETTINGS_PATH,
                MANIFEST_PATH
            ]
        );
        let manifest: serde_json::Value = serde_json::from_slice(&files[3].bytes).unwrap();
        let listed: Vec<&str> = manifest["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["path"].as_str().unwrap())
            .collect();
        assert_eq!(listed, paths[..3]);
    }
}

#[cfg(test)]
mod signing_tests {
    use super::*;

    fn identity() -> warden_cms::SigningIdentity {
        let read = |name: &str| std::fs::read(warden_testkit::test_data(&format!("cms/{name}")));
        warden_cms::SigningIdentity::from_pem(
            &read("p256.cert.pem").unwrap(),
            &read("p256.key.pem").unwrap(),
        )
        .unwrap()
    }

    struct Mobileconfig;

    impl DeliveryBackend for Mobileconfig {
        fn name(&self) -> &'static str {
            "mobileconfig"
        }
        fn artifacts(&self, cx: &Context<'_>, _: &[u8]) -> Result<Vec<Artifact>, CompileError> {
            Ok(vec![Artifact::new(
                crate::macos::mobileconfig_path(&cx.profile.identity.id),
                b"<plist version=\"1.0\"><dict/></plist>\n".to_vec(),
            )])
        }
    }

    #[test]
    fn a_profile_that_asks_for_a_signature_cannot_finish_unsigned() {
        let p: warden_profile::Profile = serde_json::from_value(serde_json::json!({
            "profile": { "id": "signed", "name": "Signed", "serial": 1 },
            "macos": { "sign_mobileconfig": true }
        }))
        .unwrap();
        let p = ResolvedProfile::from_root("signed.toml", &p);
        let id = identity();

        let mut out = compile(&p).unwrap();
        out.add_bundle(b"{}".to_vec()).unwrap();
        assert!(matches!(
            out.sign_mobileconfig(&id),
            Err(CompileError::MobileconfigMissing(path)) if path == "macos/signed.mobileconfig"
        ));
        out.deliver(&[&Mobileconfig]).unwrap();
        assert!(matches!(
            out.finish(),
            Err(CompileError::MobileconfigNotSigned)
        ));

        let mut out = compile(&p).unwrap();
        out.add_bundle(b"{}".to_vec()).unwrap();
        out.deliver(&[&Mobileconfig]).unwrap();
        out.sign_mobileconfig(&id).unwrap();
        assert!(matches!(
            out.sign_mobileconfig(&id),
            Err(CompileError::DuplicateArtifact(_))
        ));
        let files: BTreeMap<String, Vec<u8>> = out
            .finish()
            .unwrap()
            .into_iter()
            .map(|a| (a.path, a.bytes))
            .collect();
        let signed = &files["macos/signed.signed.mobileconfig"];
        let verified = warden_cms::verify(signed).unwrap();
        assert_eq!(verified.content, files["macos/signed.mobileconfig"]);
        let manifest = String::from_utf8(files[MANIFEST_PATH].clone()).unwrap();
        assert!(manifest.contains("macos/signed.signed.mobileconfig"));
    }
}
