//! Signing compiled policy into a bundle (`bundle.dsse.json`).
//!
//! With `--key` and `--trust`, bundles are signed by a policy-signing key the trust
//! root lists. Without them, a local development key and trust root are created on
//! first use in `.warden-dev/` (git-ignored), so a fresh clone can run the whole
//! flow; endpoints never trust that key. Every bundle is verified against the trust
//! root right after signing, so a compile never ships a bundle endpoints would refuse.

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use warden_bundle::{
    EndpointPolicy, ExpectedCortex, PolicyBody, PreferenceValue, RegistryValue, RequiredConnection,
    Statement,
};
use warden_cms::SigningIdentity;
use warden_compile::{CompileOutput, MdmValue};
use warden_registry::RegValue;
use warden_trust::{
    ArtifactDigest, SigningKey, TrustChain, TrustRoot, VerifiedRoot, VerifyOptions, keyfile,
};

use crate::CliError;

/// Where development keys live, relative to the working directory.
pub(crate) const DEV_DIR: &str = ".warden-dev";
const DEV_KEY: &str = "signing-key.pem";
const DEV_TRUST: &str = "trust-root.json";
/// How long the development trust root stays valid.
const DEV_ROOT_DAYS: i64 = 3650;

/// Parsed `--expires-in` value: `30d`, `12h`, `90m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Lifetime(pub(crate) SignedDuration);

impl std::str::FromStr for Lifetime {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
        let n: i64 = digits
            .parse()
            .map_err(|_| format!("`{s}` is not a duration like `30d`, `12h` or `90m`"))?;
        let secs = match unit {
            "d" => 86_400,
            "h" => 3_600,
            "m" => 60,
            _ => return Err(format!("`{s}`: use a unit of `d`, `h` or `m`")),
        };
        if n <= 0 || n > 3650 * 86_400 / secs {
            return Err(format!("`{s}` is out of range (1m to 3650d)"));
        }
        Ok(Self(SignedDuration::from_secs(n * secs)))
    }
}

/// A key and the trust root that lists it.
pub(crate) struct Signer {
    key: SigningKey,
    root: VerifiedRoot,
    /// Signed with the local development key.
    pub(crate) dev: Option<PathBuf>,
}

/// The signing time: `SOURCE_DATE_EPOCH` when set (reproducible builds), else now.
pub(crate) fn signing_time() -> Result<Timestamp, CliError> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => {
            let secs: i64 = v.trim().parse().map_err(|_| {
                CliError::usage(format!(
                    "SOURCE_DATE_EPOCH `{v}` is not a number of seconds"
                ))
            })?;
            Timestamp::from_second(secs)
                .map_err(|e| CliError::usage(format!("SOURCE_DATE_EPOCH `{v}`: {e}")))
        }
        // Whole seconds: the statement's times read cleanly and compare exactly.
        Err(_) => Timestamp::from_second(Timestamp::now().as_second())
            .map_err(|e| CliError::failed("the clock is out of range", e)),
    }
}

impl Signer {
    /// Load the signer named on the command line, or the development one.
    pub(crate) fn load(
        key: Option<&Path>,
        trust: Option<&Path>,
        now: Timestamp,
    ) -> Result<Self, CliError> {
        match (key, trust) {
            (Some(key), Some(trust)) => {
                let key = keyfile::read_signing_key(key).map_err(|e| {
                    CliError::failed(format!("cannot read signing key `{}`", key.display()), e)
                })?;
                let root = read_root(trust, now)?;
                Ok(Self {
                    key,
                    root,
                    dev: None,
                })
            }
            (None, None) => Self::dev(Path::new(DEV_DIR), now),
            _ => Err(CliError::usage("`--key` and `--trust` go together")),
        }
    }

    fn dev(dir: &Path, now: Timestamp) -> Result<Self, CliError> {
        let key_path = dir.join(DEV_KEY);
        let trust_path = dir.join(DEV_TRUST);
        let (key, _) = keyfile::load_or_create_dev_key(&key_path)
            .map_err(|e| CliError::failed("cannot create the development signing key", e))?;
        if !trust_path.exists() {
            let public = key.verifying_key();
            let expires = now
                .checked_add(SignedDuration::from_hours(24 * DEV_ROOT_DAYS))
                .map_err(|e| CliError::failed("development trust root expiry", e))?;
            let mut root = TrustRoot::initial(&[public], 1, 1, expires)
                .map_err(|e| CliError::failed("cannot create the development trust root", e))?;
            root.add_signer(public, expires, None)
                .map_err(|e| CliError::failed("cannot create the development trust root", e))?;
            let chain = TrustChain::create(&root, &[&key], now)
                .map_err(|e| CliError::failed("cannot sign the development trust root", e))?;
            keyfile::write_file(&trust_path, &chain.to_json(), 0o644, false)
                .map_err(|e| CliError::failed("cannot write the development trust root", e))?;
        }
        let root = read_root(&trust_path, now)?;
        Ok(Self {
            key,
            root,
            dev: Some(dir.to_path_buf()),
        })
    }

    /// Sign `output`'s policy as a bundle and add it; returns the bundle bytes.
    pub(crate) fn sign(
        &self,
        output: &mut CompileOutput<'_>,
        serial: Option<u64>,
        lifetime: Option<Lifetime>,
        now: Timestamp,
    ) -> Result<Vec<u8>, CliError> {
        let cx = output.context();
        let profile = cx.profile;
        let id = &profile.identity;
        let lifetime = lifetime.map_or_else(
            || SignedDuration::from_hours(24 * i64::from(id.bundle_lifetime_days)),
            |l| l.0,
        );
        let expires = now
            .checked_add(lifetime)
            .map_err(|e| CliError::failed("bundle expiry", e))?;
        let windows = warden_compile::windows::cortex_registry_values(&cx.mdm)
            .into_iter()
            .map(|(name, value)| {
                let v = match value {
                    RegValue::Sz(s) => RegistryValue::Sz(s),
                    RegValue::Dword(d) => RegistryValue::Dword(d),
                    other => {
                        return Err(CliError::usage(format!(
                            "registry value `{name}` has type {:?}, which bundles cannot describe",
                            other.reg_type()
                        )));
                    }
                };
                Ok((name, v))
            })
            .collect::<Result<_, _>>()?;
        let macos = cx
            .mdm
            .iter()
            .map(|(key, value)| {
                let v = match value {
                    MdmValue::Bool(b) => PreferenceValue::Bool(*b),
                    MdmValue::String(s) => PreferenceValue::String(s.clone()),
                    MdmValue::StringList(l) => PreferenceValue::StringList(l.clone()),
                };
                (key.as_str().to_owned(), v)
            })
            .collect();
        let statement = Statement {
            profile_id: id.id.clone(),
            serial: serial.unwrap_or(id.serial),
            issued_at: now,
            not_before: now,
            expires,
            trust_root_version: self.root.version(),
            manifest: output
                .artifacts()
                .iter()
                .map(|(path, bytes)| (path.clone(), ArtifactDigest::of(bytes)))
                .collect(),
            body: PolicyBody {
                // The file once: its base64 is the MDM channels' `CortexManagedSettingsBase64`.
                cortex: ExpectedCortex::embedded(&cx.managed_settings_bytes, macos, windows),
                endpoint: EndpointPolicy {
                    policy: profile.policy.clone(),
                    modes: profile.endpoint,
                    required_connection: profile.connection.name.as_ref().map(|name| {
                        RequiredConnection {
                            name: name.clone(),
                            role: profile.connection.default_role.clone(),
                            warehouse: profile.connection.default_warehouse.clone(),
                            template: profile.connection.template.clone(),
                        }
                    }),
                },
            },
        };
        // Compact JSON: the payload travels base64-encoded inside registry and plist
        // strings, where indentation only costs bytes.
        let payload = serde_json::to_vec(&statement)
            .map_err(|e| CliError::failed("cannot serialize the bundle statement", e))?;
        let envelope = warden_trust::sign_bundle(&payload, &[&self.key]);
        // One line: registry strings and plist values carry it without line breaks.
        let wire: serde_json::Value = serde_json::from_slice(&envelope.to_json())
            .map_err(|e| CliError::failed("cannot encode the bundle", e))?;
        let bundle = serde_json::to_vec(&wire)
            .map_err(|e| CliError::failed("cannot encode the bundle", e))?;
        warden_trust::verify_bundle::<PolicyBody>(
            &bundle,
            &self.root,
            &VerifyOptions {
                now,
                min_serial: None,
                profile_id: Some(id.id.clone()),
            },
        )
        .map_err(|e| {
            CliError::failed(
                format!("the bundle for `{}` would be refused by endpoints", id.id),
                e,
            )
        })?;
        output
            .add_bundle(bundle.clone())
            .map_err(|e| CliError::failed("cannot add the bundle", e))?;
        Ok(bundle)
    }
}

/// The certificate chain and key that sign `.mobileconfig` files
/// (`--mobileconfig-cert`, `--mobileconfig-key`), refused when the signing
/// certificate has expired at `now`.
pub(crate) fn load_profile_signer(
    cert: &Path,
    key: &Path,
    now: Timestamp,
) -> Result<SigningIdentity, CliError> {
    let chain = read_small(cert, 1024 * 1024)?;
    let key_pem = zeroize::Zeroizing::new(read_small(key, 64 * 1024)?);
    let identity = SigningIdentity::from_pem(&chain, &key_pem).map_err(|e| {
        CliError::failed(
            format!(
                "cannot sign configuration profiles with `{}` and `{}`",
                cert.display(),
                key.display()
            ),
            e,
        )
    })?;
    let not_after = i64::try_from(identity.not_after_unix()).unwrap_or(i64::MAX);
    if not_after < now.as_second() {
        let when = Timestamp::from_second(not_after)
            .map_or_else(|_| not_after.to_string(), |t| t.to_string());
        return Err(CliError::usage(format!(
            "the signing certificate `{}` in `{}` expired at {when}; macOS would show its profiles as unverified",
            identity.subject(),
            cert.display()
        )));
    }
    Ok(identity)
}

/// A key or certificate file, refused when larger than `limit` before it is read.
fn read_small(path: &Path, limit: u64) -> Result<Vec<u8>, CliError> {
    let meta = std::fs::metadata(path).map_err(|e| CliError::io(path, e))?;
    if meta.len() > limit {
        return Err(CliError::usage(format!(
            "`{}` is {} bytes, more than a PEM certificate chain or key ({limit} bytes at most)",
            path.display(),
            meta.len()
        )));
    }
    std::fs::read(path).map_err(|e| CliError::io(path, e))
}

fn read_root(path: &Path, now: Timestamp) -> Result<VerifiedRoot, CliError> {
    let bytes = std::fs::read(path).map_err(|e| CliError::io(path, e))?;
    let chain = TrustChain::from_json(&bytes)
        .map_err(|e| CliError::failed(format!("`{}` is not a trust root", path.display()), e))?;
    warden_trust::verify_chain(&chain, None, now).map_err(|e| {
        CliError::failed(
            format!("trust root `{}` does not verify", path.display()),
            e,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_parse_with_units() {
        assert_eq!(
            "30d".parse::<Lifetime>().unwrap().0,
            SignedDuration::from_hours(720)
        );
        assert_eq!(
            "12h".parse::<Lifetime>().unwrap().0,
            SignedDuration::from_hours(12)
        );
        assert!("30".parse::<Lifetime>().is_err());
        assert!("0d".parse::<Lifetime>().is_err());
        assert!("-1d".parse::<Lifetime>().is_err());
        assert!("99999d".parse::<Lifetime>().is_err());
    }
}
