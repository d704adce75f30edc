//! Key files on disk: the one place this crate does I/O.
//!
//! Private keys are created with mode 0600 (on Unix) and never silently overwritten.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::keys::{self, KeyError, SigningKey, VerifyingKey};

/// Reading or writing a key file failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// The file system refused.
    #[error("cannot access `{}`", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// The file does not hold a usable key.
    #[error("`{}` does not hold a usable key", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: KeyError,
    },
    /// Refusing to replace an existing file.
    #[error("`{}` already exists (use --force to replace it)", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn read_pem(path: &Path) -> Result<String, KeyFileError> {
    // Key files are tiny; refuse anything large before reading it whole.
    let meta = fs::metadata(path).map_err(io_error(path))?;
    if meta.len() > 64 * 1024 {
        return Err(KeyFileError::Key {
            path: path.to_path_buf(),
            source: KeyError::NoPem,
        });
    }
    fs::read_to_string(path).map_err(io_error(path))
}

/// Read a PKCS#8 PEM private key file.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, KeyFileError> {
    keys::signing_key_from_pem(&read_pem(path)?).map_err(|source| KeyFileError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// Read the public key from a PEM file holding a public or a private key.
pub fn read_public_key(path: &Path) -> Result<VerifyingKey, KeyFileError> {
    keys::public_key_from_any_pem(&read_pem(path)?).map_err(|source| KeyFileError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// Write `contents` to `path` with `mode` (Unix). Without `overwrite` the file must
/// not exist (checked atomically by the create); with it, the new file is written
/// beside the old one and renamed over it, so a crash leaves one or the other.
pub fn write_file(
    path: &Path,
    contents: &[u8],
    mode: u32,
    overwrite: bool,
) -> Result<(), KeyFileError> {
    if !overwrite {
        let mut file = create_new(path, mode).map_err(|source| {
            if source.kind() == io::ErrorKind::AlreadyExists {
                KeyFileError::Exists {
                    path: path.to_path_buf(),
                }
            } else {
                io_error(path)(source)
            }
        })?;
        return file
            .write_all(contents)
            .and_then(|()| file.sync_all())
            .map_err(io_error(path));
    }
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = create_new(&temp, mode)
        .and_then(|mut file| {
            file.write_all(contents)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&temp, path));
    if result.is_err() {
        // Best effort: the temporary file is ours and useless after a failure.
        let _ = fs::remove_file(&temp);
    }
    result.map_err(io_error(path))
}

fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)
}

/// Write a private key (PKCS#8 v1 PEM, mode 0600).
pub fn write_signing_key(
    path: &Path,
    key: &SigningKey,
    overwrite: bool,
) -> Result<(), KeyFileError> {
    let pem = keys::signing_key_to_pem(key).map_err(|source| KeyFileError::Key {
        path: path.to_path_buf(),
        source,
    })?;
    write_file(path, pem.as_bytes(), 0o600, overwrite)
}

/// Write a public key (SPKI PEM, mode 0644).
pub fn write_public_key(
    path: &Path,
    key: &VerifyingKey,
    overwrite: bool,
) -> Result<(), KeyFileError> {
    let pem = keys::verifying_key_to_pem(key).map_err(|source| KeyFileError::Key {
        path: path.to_path_buf(),
        source,
    })?;
    write_file(path, pem.as_bytes(), 0o644, overwrite)
}

/// Load the local development signing key at `path`, creating it (0600) on first use.
/// Returns the key and whether it was created. For local builds only: production
/// bundles are signed by keys the trust root lists, kept in CI or a KMS.
pub fn load_or_create_dev_key(path: &Path) -> Result<(SigningKey, bool), KeyFileError> {
    match read_signing_key(path) {
        Ok(key) => Ok((key, false)),
        Err(KeyFileError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent).map_err(io_error(parent))?;
            }
            let key = keys::generate_signing_key();
            write_signing_key(path, &key, false)?;
            Ok((key, true))
        }
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_key_is_created_once_with_private_mode() {
        let dir = std::env::temp_dir().join(format!("warden-trust-keyfile-{}", std::process::id()));
        let path = dir.join("keys/dev.pem");
        let (first, created) = load_or_create_dev_key(&path).unwrap();
        assert!(created);
        let (second, created_again) = load_or_create_dev_key(&path).unwrap();
        assert!(!created_again);
        assert_eq!(first.to_bytes(), second.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(matches!(
            write_signing_key(&path, &first, false),
            Err(KeyFileError::Exists { .. })
        ));
        write_signing_key(&path, &keys::generate_signing_key(), true).unwrap();
        assert_ne!(
            read_signing_key(&path).unwrap().to_bytes(),
            first.to_bytes()
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
