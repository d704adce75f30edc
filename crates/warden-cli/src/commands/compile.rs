//! `warden compile`: one folder of artifacts per profile.
//!
//! A profile with error-level findings is refused and nothing is written for it.
//! Each folder is written beside its final place and, once every folder is on disk,
//! swapped in by rename, so a reader sees the old folder or the new one, and files a
//! previous compile wrote that this one does not are gone.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use warden_compile::Artifact;
use warden_diag::Sources;
use warden_profile::{FsLoader, ProfileLoader};

use crate::CliError;
use crate::findings::{self, FindingsFormat};
use crate::signing::{Lifetime, Signer, load_profile_signer, signing_time};

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Profile files or directories (searched for `*.toml` and `*.json`)
    #[arg(required = true)]
    profiles: Vec<PathBuf>,
    /// Output directory; each profile is written to `DIR/<profile-id>/`
    #[arg(long, short, value_name = "DIR")]
    out: PathBuf,
    /// How findings are printed
    #[arg(long, value_enum, default_value_t)]
    format: FindingsFormat,
    /// Policy-signing key (PKCS#8 PEM). Without it, a local development key in
    /// `.warden-dev/` signs, and endpoints will not trust the bundles
    #[arg(long, value_name = "SIGNER.pem", requires = "trust")]
    key: Option<PathBuf>,
    /// Trust root that lists the signing key
    #[arg(long, value_name = "trust-root.json", requires = "key")]
    trust: Option<PathBuf>,
    /// Serial to sign instead of the profile's own (at most 4294967295)
    #[arg(long)]
    serial: Option<u64>,
    /// How long bundles stay valid (`30d`, `12h`); default: the profile's
    /// `bundle_lifetime_days`
    #[arg(long, value_name = "DURATION")]
    expires_in: Option<Lifetime>,
    /// Certificates that sign the `.mobileconfig` of profiles with `[macos]
    /// sign_mobileconfig = true` (PEM: the signing certificate first, then any
    /// intermediates)
    #[arg(long, value_name = "CHAIN.pem", requires = "mobileconfig_key")]
    mobileconfig_cert: Option<PathBuf>,
    /// The signing certificate's private key (unencrypted PKCS#8 PEM: RSA of 2048
    /// bits or more, or ECDSA P-256)
    #[arg(long, value_name = "KEY.pem", requires = "mobileconfig_cert")]
    mobileconfig_key: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    if let Some(serial) = args.serial
        && serial > warden_profile::lints::MAX_SERIAL
    {
        return Err(CliError::usage(format!(
            "--serial {serial} is above {}: Windows carries the serial as a 32-bit REG_DWORD, and a bundle no later serial can exceed would block every update",
            warden_profile::lints::MAX_SERIAL
        )));
    }
    let files = super::profile_files(&args.profiles)?;

    let now = signing_time()?;
    let signer = Signer::load(args.key.as_deref(), args.trust.as_deref(), now)?;
    let profile_signer = match (&args.mobileconfig_cert, &args.mobileconfig_key) {
        (Some(cert), Some(key)) => Some(load_profile_signer(cert, key, now)?),
        _ => None,
    };
    let has_profile_signer = profile_signer.is_some();
    let mut signed_profiles = 0usize;
    let mut all_findings = Vec::new();
    let mut sources = Sources::default();
    let mut refused = Vec::new();
    let mut compiled: BTreeMap<String, (PathBuf, u64, Vec<Artifact>)> = BTreeMap::new();
    // Loaded on every core; a base that many profiles extend is read and checked once.
    // Size limits are measured on the compiled values, as `validate` does.
    let all_loaded = ProfileLoader::new(&FsLoader).load_all_then(&files, |loaded| {
        if let Some(p) = &loaded.profile {
            loaded.findings.extend(warden_compile::limits::findings(p));
            if p.macos.sign_mobileconfig == Some(true) && !has_profile_signer {
                loaded.findings.push(signer_missing(p));
            }
        }
    });
    for (file, loaded) in files.iter().zip(all_loaded) {
        let has_errors = loaded.has_errors();
        all_findings.extend(loaded.findings);
        sources.append(loaded.sources);
        let profile = match loaded.profile {
            Some(p) if !has_errors => p,
            _ => {
                refused.push(format!(
                    "`{}` has errors; nothing was written for it",
                    file.display()
                ));
                continue;
            }
        };
        let id = profile.identity.id.clone();
        if !is_folder_name(&id) {
            return Err(CliError::usage(format!(
                "profile id `{id}` in `{}` cannot name a folder",
                file.display()
            )));
        }
        if let Some((other, _, _)) = compiled.get(&id) {
            return Err(CliError::usage(format!(
                "`{}` and `{}` both have the id `{id}`; each profile needs its own",
                other.display(),
                file.display()
            )));
        }
        let mut output = match warden_compile::compile(&profile) {
            Ok(o) => o,
            Err(e) => {
                refused.push(format!("cannot compile `{}`: {e}", file.display()));
                continue;
            }
        };
        signer.sign(&mut output, args.serial, args.expires_in, now)?;
        let artifacts = output
            .deliver(&[
                &warden_compile::MacosBackend,
                &warden_compile::WindowsBackend,
                &warden_compile::IntuneComplianceBackend {
                    serial: args.serial,
                },
            ])
            .and_then(|()| match &profile_signer {
                Some(identity) if profile.macos.sign_mobileconfig == Some(true) => output
                    .sign_mobileconfig(identity)
                    .map(|()| signed_profiles += 1),
                _ => Ok(()),
            })
            .and_then(|()| output.finish());
        match artifacts {
            Ok(a) => {
                let serial = args.serial.unwrap_or(profile.identity.serial);
                compiled.insert(id, (file.clone(), serial, a));
            }
            Err(e) => refused.push(format!("cannot compile `{}`: {e}", file.display())),
        }
    }

    findings::dedup(&mut all_findings);
    if !all_findings.is_empty() {
        findings::print(&all_findings, &sources, args.format);
    }

    fs::create_dir_all(&args.out).map_err(|e| CliError::io(&args.out, e))?;
    // Every folder is staged, then all of them are made durable at once (one flush
    // of the file system where it can, not one per file), then swapped in.
    let mut staged = Vec::with_capacity(compiled.len());
    for (id, (_, _, artifacts)) in &compiled {
        staged.push(stage_folder(&args.out, id, artifacts)?);
    }
    make_durable(&args.out, &staged)?;
    let mut summary = String::new();
    for ((id, (_, serial, artifacts)), folder) in compiled.iter().zip(&staged) {
        let dir = folder.swap_in()?;
        summary.push_str(&format!(
            "compiled `{id}` (serial {serial}) into {}\n",
            dir.display()
        ));
        let width = artifacts.iter().map(|a| a.path.len()).max().unwrap_or(0);
        for a in artifacts {
            summary.push_str(&format!("  {:<width$}  {} bytes\n", a.path, a.bytes.len()));
        }
    }
    if let Some(dir) = &signer.dev {
        summary.push_str(&format!(
            "\nnote: bundles are signed with the local development key in `{}`; endpoints will not\n      trust them. Sign with `--key SIGNER.pem --trust trust-root.json` for a fleet.\n",
            dir.display()
        ));
    }
    if let Some(identity) = &profile_signer {
        summary.push_str(&if signed_profiles == 0 {
            "\nnote: no profile sets `[macos] sign_mobileconfig = true`, so `--mobileconfig-cert` signed nothing.\n".to_owned()
        } else {
            format!(
                "\n`*.signed.mobileconfig` is signed by `{}` ({}); MDM consoles and System Settings show it.\n",
                identity.subject(),
                identity.algorithm()
            )
        });
    }
    // Machine formats keep stdout for findings.
    if args.format == FindingsFormat::Human {
        out!("{summary}");
    } else {
        eprint!("{summary}");
    }
    for msg in &refused {
        eprintln!("error: {msg}");
    }
    Ok(if refused.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The profile asks for a signed `.mobileconfig` and compile has nothing to sign with.
fn signer_missing(p: &warden_profile::ResolvedProfile) -> warden_diag::Finding {
    use warden_profile::Code;
    let file = p.chain.last().cloned().unwrap_or_default();
    warden_diag::Finding::new(
        Code::MobileconfigSignerMissing,
        Code::MobileconfigSignerMissing.severity(),
        format!(
            "`{}` asks for a signed configuration profile (`[macos] sign_mobileconfig = true`), but no signing certificate and key were given",
            p.identity.id
        ),
    )
    .at(warden_diag::Location::file(file).with_pointer("/macos/sign_mobileconfig"))
    .help("pass `--mobileconfig-cert CHAIN.pem --mobileconfig-key KEY.pem` (PKCS#8; RSA of 2048 bits or more, or ECDSA P-256), or remove `sign_mobileconfig`")
}

/// The schema restricts ids to `[a-z0-9-]`; checked again because it names a folder.
fn is_folder_name(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with(['.', '-'])
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn remove_if_present(path: &Path) -> Result<(), CliError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path).map_err(|e| CliError::io(path, e)),
        Ok(_) => fs::remove_file(path).map_err(|e| CliError::io(path, e)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(CliError::io(path, e)),
    }
}

/// A folder written beside its final place, not yet swapped in.
struct Staged {
    staging: PathBuf,
    target: PathBuf,
    previous: PathBuf,
}

/// Write `artifacts` into `out/.id.partial/`, to replace `out/id/`.
fn stage_folder(out: &Path, id: &str, artifacts: &[Artifact]) -> Result<Staged, CliError> {
    let folder = Staged {
        staging: out.join(format!(".{id}.partial")),
        target: out.join(id),
        previous: out.join(format!(".{id}.previous")),
    };
    match fs::symlink_metadata(&folder.target) {
        Ok(meta) if !meta.is_dir() => {
            return Err(CliError::usage(format!(
                "`{}` exists and is not a folder",
                folder.target.display()
            )));
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(CliError::io(&folder.target, e)),
    }
    remove_if_present(&folder.staging)?;
    remove_if_present(&folder.previous)?;
    fs::create_dir(&folder.staging).map_err(|e| CliError::io(&folder.staging, e))?;
    for a in artifacts {
        let path = a
            .path
            .split('/')
            .fold(folder.staging.clone(), |p, c| p.join(c));
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| CliError::io(parent, e))?;
        }
        let mut f = fs::File::create(&path).map_err(|e| CliError::io(&path, e))?;
        f.write_all(&a.bytes).map_err(|e| CliError::io(&path, e))?;
        // Without one flush of the whole file system (see `make_durable`), each file.
        #[cfg(not(target_os = "linux"))]
        f.sync_all().map_err(|e| CliError::io(&path, e))?;
    }
    Ok(folder)
}

/// Put every staged file on disk before any folder is swapped in, so a crash leaves
/// the old folder or a whole new one. On Linux, one flush of the file system that
/// holds `out` (`syncfs`) instead of one per file; elsewhere each file was flushed as
/// it was written.
fn make_durable(out: &Path, staged: &[Staged]) -> Result<(), CliError> {
    #[cfg(target_os = "linux")]
    if !staged.is_empty() {
        let dir = fs::File::open(out).map_err(|e| CliError::io(out, e))?;
        rustix::fs::syncfs(&dir).map_err(|e| CliError::io(out, e.into()))?;
    }
    let _ = (out, staged);
    Ok(())
}

impl Staged {
    /// Replace the target folder with the staged one.
    fn swap_in(&self) -> Result<PathBuf, CliError> {
        match fs::symlink_metadata(&self.target) {
            Ok(meta) if meta.is_dir() => {
                fs::rename(&self.target, &self.previous)
                    .map_err(|e| CliError::io(&self.target, e))?;
            }
            Ok(_) => {
                return Err(CliError::usage(format!(
                    "`{}` exists and is not a folder",
                    self.target.display()
                )));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(CliError::io(&self.target, e)),
        }
        fs::rename(&self.staging, &self.target).map_err(|e| CliError::io(&self.target, e))?;
        remove_if_present(&self.previous)?;
        Ok(self.target.clone())
    }
}
