//! `warden compile`: one folder of artifacts per profile.
//!
//! A profile with error-level findings is refused and nothing is written for it.
//! Each folder is written beside its final place and swapped in by rename, so a
//! reader sees the old folder or the new one, and files a previous compile wrote
//! that this one does not are gone.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use warden_compile::Artifact;
use warden_diag::Sources;
use warden_profile::FsLoader;

use crate::CliError;
use crate::findings::{self, FindingsFormat};
use crate::signing::{Lifetime, Signer, signing_time};

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
    /// Serial to sign instead of the profile's own
    #[arg(long)]
    serial: Option<u64>,
    /// How long bundles stay valid (`30d`, `12h`); default: the profile's
    /// `bundle_lifetime_days`
    #[arg(long, value_name = "DURATION")]
    expires_in: Option<Lifetime>,
}

pub(crate) fn run(args: &Args) -> Result<ExitCode, CliError> {
    let files = super::profile_files(&args.profiles)?;

    let now = signing_time()?;
    let signer = Signer::load(args.key.as_deref(), args.trust.as_deref(), now)?;
    let mut all_findings = Vec::new();
    let mut sources = Sources::default();
    let mut refused = Vec::new();
    let mut compiled: BTreeMap<String, (PathBuf, u64, Vec<Artifact>)> = BTreeMap::new();
    for file in &files {
        let mut loaded = warden_profile::load(file, &FsLoader);
        // Size limits are measured on the compiled values, as `validate` does.
        if let Some(p) = &loaded.profile {
            loaded.findings.extend(warden_compile::limits::findings(p));
        }
        let has_errors = loaded.has_errors();
        all_findings.extend(loaded.findings);
        for (name, text) in loaded.sources.iter() {
            sources.insert(name, text);
        }
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
            ])
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
    let mut summary = String::new();
    for (id, (_, serial, artifacts)) in &compiled {
        let dir = write_folder(&args.out, id, artifacts)?;
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

/// Write `artifacts` into `out/id/`, replacing what was there.
fn write_folder(out: &Path, id: &str, artifacts: &[Artifact]) -> Result<PathBuf, CliError> {
    let target = out.join(id);
    let staging = out.join(format!(".{id}.partial"));
    let previous = out.join(format!(".{id}.previous"));
    remove_if_present(&staging)?;
    remove_if_present(&previous)?;
    fs::create_dir(&staging).map_err(|e| CliError::io(&staging, e))?;
    for a in artifacts {
        let path = a.path.split('/').fold(staging.clone(), |p, c| p.join(c));
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| CliError::io(parent, e))?;
        }
        let mut f = fs::File::create(&path).map_err(|e| CliError::io(&path, e))?;
        f.write_all(&a.bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| CliError::io(&path, e))?;
    }
    match fs::symlink_metadata(&target) {
        Ok(meta) if meta.is_dir() => {
            fs::rename(&target, &previous).map_err(|e| CliError::io(&target, e))?;
        }
        Ok(_) => {
            return Err(CliError::usage(format!(
                "`{}` exists and is not a folder",
                target.display()
            )));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(CliError::io(&target, e)),
    }
    fs::rename(&staging, &target).map_err(|e| CliError::io(&target, e))?;
    remove_if_present(&previous)?;
    Ok(target)
}
