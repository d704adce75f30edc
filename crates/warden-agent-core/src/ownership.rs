//! Who may have written a path: the rule for the agent's state directory and files.
//!
//! System mode trusts its state only when nobody but the system could have written
//! it: on Unix the path is owned by the required owner (root, or the caller under a
//! test root) and neither group nor others may write it; on Windows its owner is
//! SYSTEM or Administrators and no allow entry grants any other principal a write
//! right. A symbolic link (or junction) is never trusted.
//!
//! The decision is pure: [`judge_unix`] over the metadata, [`judge_sddl`] over the
//! security descriptor in SDDL, which is locale independent (unlike `icacls`
//! output). Only reading the descriptor on Windows is platform code.

use std::io;
use std::path::Path;

/// What a path is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Directory,
    File,
}

/// Why a path cannot be trusted; the text completes "… because it …".
pub type Untrusted = String;

/// Judge `path` on this platform. `Ok(Ok(()))` when trusted, `Ok(Err(why))` when
/// it exists but cannot be trusted, `Err` when it cannot be inspected (including
/// when it does not exist).
pub fn check_native(path: &Path, kind: Kind, owner_uid: u32) -> io::Result<Result<(), Untrusted>> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok(Err("is a symbolic link or junction".to_owned()));
    }
    match kind {
        Kind::Directory if !meta.is_dir() => return Ok(Err("is not a directory".to_owned())),
        Kind::File if !meta.is_file() => return Ok(Err("is not a regular file".to_owned())),
        _ => {}
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(judge_unix(
            &UnixMeta {
                uid: meta.uid(),
                mode: meta.mode(),
                nlink: meta.nlink(),
            },
            kind,
            owner_uid,
        ))
    }
    #[cfg(windows)]
    {
        let _ = owner_uid;
        Ok(judge_sddl(&windows::sddl(path)?))
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = owner_uid;
        Ok(Err("cannot be judged on this platform".to_owned()))
    }
}

/// The metadata the Unix rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnixMeta {
    pub uid: u32,
    pub mode: u32,
    pub nlink: u64,
}

/// Unix: owned by `owner_uid`, no group or other write bit, and (for a file) no
/// other hard link that someone else could have made.
pub fn judge_unix(meta: &UnixMeta, kind: Kind, owner_uid: u32) -> Result<(), Untrusted> {
    if meta.uid != owner_uid {
        return Err(format!("is owned by uid {}, not uid {owner_uid}", meta.uid));
    }
    if meta.mode & 0o022 != 0 {
        return Err(format!(
            "is writable by group or others (mode {:04o})",
            meta.mode & 0o7777
        ));
    }
    if kind == Kind::File && meta.nlink > 1 {
        return Err(format!("has {} hard links", meta.nlink));
    }
    Ok(())
}

/// SIDs trusted to own and write the state: SYSTEM and Administrators.
const TRUSTED_SIDS: &[&str] = &["SY", "BA", "S-1-5-18", "S-1-5-32-544"];

/// Access bits that let a principal change a file or directory or its entries:
/// write data / add file, append / add subdirectory, write extended attributes,
/// delete child, write attributes, delete, write DAC, write owner, generic all,
/// generic write.
const WRITE_BITS: u32 =
    0x2 | 0x4 | 0x10 | 0x40 | 0x100 | 0x1_0000 | 0x4_0000 | 0x8_0000 | 0x1000_0000 | 0x4000_0000;

/// Windows: judge a security descriptor in SDDL (`O:…G:…D:…`). The owner must be
/// SYSTEM or Administrators, there must be a DACL (none means everyone has full
/// control), and no allow entry (inheritable ones included, since they reach the
/// files created inside) may grant a write right to anyone else.
pub fn judge_sddl(sddl: &str) -> Result<(), Untrusted> {
    let sddl = sddl.trim();
    let section = |tag: &str| -> Option<&str> {
        let start = top_level_find(sddl, tag)? + tag.len();
        let rest = &sddl[start..];
        let end = ["O:", "G:", "D:", "S:"]
            .iter()
            .filter_map(|t| top_level_find(rest, t))
            .min()
            .unwrap_or(rest.len());
        Some(&rest[..end])
    };
    let owner = section("O:").ok_or("has no owner in its security descriptor")?;
    if !is_trusted_sid(owner) {
        return Err(format!(
            "is owned by `{owner}`, not SYSTEM or Administrators"
        ));
    }
    let dacl = section("D:").ok_or("has no access control list (everyone has full control)")?;
    let aces_at = dacl.find('(').unwrap_or(dacl.len());
    let flags = &dacl[..aces_at];
    if flags.contains("NO_ACCESS_CONTROL") {
        return Err("has a null access control list (everyone has full control)".to_owned());
    }
    for ace in aces(&dacl[aces_at..])? {
        let fields: Vec<&str> = ace.split(';').collect();
        if fields.len() < 6 {
            return Err(format!("has an access entry `({ace})` that cannot be read"));
        }
        let (ace_type, rights, sid) = (fields[0], fields[2], fields[5]);
        // Deny entries and audit entries grant nothing.
        if !matches!(ace_type, "A" | "OA" | "XA" | "ZA") {
            continue;
        }
        if is_trusted_sid(sid) {
            continue;
        }
        let mask = rights_mask(rights)
            .ok_or_else(|| format!("has access rights `{rights}` that cannot be read"))?;
        if mask & WRITE_BITS != 0 {
            return Err(format!("grants `{sid}` write access (`{rights}`)"));
        }
    }
    Ok(())
}

fn is_trusted_sid(sid: &str) -> bool {
    TRUSTED_SIDS.iter().any(|t| t.eq_ignore_ascii_case(sid))
}

/// The position of `tag` outside any parenthesised access entry.
fn top_level_find(text: &str, tag: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 && text[i..].starts_with(tag) => return Some(i),
            _ => {}
        }
    }
    None
}

/// The entries of a DACL body `(…)(…)`, without their parentheses. A conditional
/// entry's expression may hold parentheses of its own.
fn aces(body: &str) -> Result<Vec<&str>, Untrusted> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in body.char_indices() {
        match c {
            '(' => {
                if depth == 0 {
                    start = i + 1;
                }
                depth += 1;
            }
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or("has an access control list that cannot be read")?;
                if depth == 0 {
                    out.push(&body[start..i]);
                }
            }
            c if depth == 0 && !c.is_whitespace() => {
                return Err("has an access control list that cannot be read".to_owned());
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("has an access control list that cannot be read".to_owned());
    }
    Ok(out)
}

/// An SDDL rights field as an access mask: a hexadecimal or decimal number, or
/// two-letter rights concatenated. `None` for anything else.
fn rights_mask(rights: &str) -> Option<u32> {
    if let Some(hex) = rights
        .strip_prefix("0x")
        .or_else(|| rights.strip_prefix("0X"))
    {
        return u32::from_str_radix(hex, 16).ok();
    }
    if !rights.is_empty() && rights.bytes().all(|b| b.is_ascii_digit()) {
        return rights.parse().ok();
    }
    if !rights.len().is_multiple_of(2) || !rights.is_ascii() {
        return None;
    }
    let mut mask = 0u32;
    for i in (0..rights.len()).step_by(2) {
        mask |= match &rights[i..i + 2] {
            "GA" => 0x1000_0000,
            "GR" => 0x8000_0000,
            "GW" => 0x4000_0000,
            "GX" => 0x2000_0000,
            "RC" => 0x2_0000,
            "SD" => 0x1_0000,
            "WD" => 0x4_0000,
            "WO" => 0x8_0000,
            "CC" => 0x1,
            "DC" => 0x2,
            "LC" => 0x4,
            "SW" => 0x8,
            "RP" => 0x10,
            "WP" => 0x20,
            "DT" => 0x40,
            "LO" => 0x80,
            "CR" => 0x100,
            "FA" => 0x1F_01FF,
            "FR" => 0x12_0089,
            "FW" => 0x12_0116,
            "FX" => 0x12_00A0,
            "KA" => 0xF_003F,
            "KR" | "KX" => 0x2_0019,
            "KW" => 0x2_0006,
            _ => return None,
        };
    }
    Some(mask)
}

#[cfg(windows)]
mod windows {
    use std::io;
    use std::path::Path;

    /// The security descriptor of `path` in SDDL, from PowerShell's `Get-Acl`
    /// (the path is passed in the environment, never spliced into the command).
    pub(super) fn sddl(path: &Path) -> io::Result<String> {
        let system_root = std::env::var_os("SystemRoot").unwrap_or_else(|| r"C:\Windows".into());
        let exe = Path::new(&system_root).join(r"System32\WindowsPowerShell\v1.0\powershell.exe");
        let out = std::process::Command::new(exe)
            .args([
                "-NoLogo",
                "-NoProfile",
                "-NonInteractive",
                "-Command",
                "(Get-Acl -LiteralPath $env:WARDEN_ACL_PATH).Sddl",
            ])
            .env("WARDEN_ACL_PATH", path)
            .stdin(std::process::Stdio::null())
            .output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "Get-Acl exited with {}",
                out.status
            )));
        }
        String::from_utf8(out.stdout).map_err(|_| io::Error::other("Get-Acl printed non-UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_rule() {
        let ok = UnixMeta {
            uid: 0,
            mode: 0o40755,
            nlink: 2,
        };
        assert!(judge_unix(&ok, Kind::Directory, 0).is_ok());
        let user = UnixMeta { uid: 1000, ..ok };
        assert!(
            judge_unix(&user, Kind::Directory, 0)
                .unwrap_err()
                .contains("uid 1000")
        );
        for mode in [0o40775, 0o40757, 0o40777] {
            let wide = UnixMeta { mode, ..ok };
            assert!(judge_unix(&wide, Kind::Directory, 0).is_err(), "{mode:o}");
        }
        let file = UnixMeta {
            uid: 0,
            mode: 0o100644,
            nlink: 1,
        };
        assert!(judge_unix(&file, Kind::File, 0).is_ok());
        let linked = UnixMeta { nlink: 2, ..file };
        assert!(judge_unix(&linked, Kind::File, 0).is_err());
    }

    #[test]
    fn sddl_rule_accepts_the_installed_acl() {
        // What install.ps1 and enforce give the state directory.
        let installed = "O:BAG:SYD:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;;0x1200a9;;;BU)";
        assert_eq!(judge_sddl(installed), Ok(()));
        // Numeric SIDs, a deny entry for users, read-only everyone.
        let numeric = "O:S-1-5-18G:S-1-5-18D:P(A;;FA;;;S-1-5-32-544)(D;;FW;;;BU)(A;;FR;;;WD)";
        assert_eq!(judge_sddl(numeric), Ok(()));
    }

    #[test]
    fn sddl_rule_refuses_what_a_user_could_write() {
        let cases = [
            // Created by a standard user under %ProgramData%: owned by the user,
            // CREATOR OWNER full control, Users may add files.
            (
                "O:S-1-5-21-1-2-3-1001G:S-1-5-21-1-2-3-513D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIIOID;GA;;;CO)(A;OICIID;0x1200a9;;;BU)(A;CIID;DCLCRPCR;;;BU)",
                "owned by",
            ),
            // Owned by Administrators, but the inherited entries still let users
            // add files and CREATOR OWNER own them.
            (
                "O:BAG:SYD:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIIOID;GA;;;CO)(A;OICIID;0x1200a9;;;BU)(A;CIID;DCLCRPCR;;;BU)",
                "grants `CO`",
            ),
            ("O:BAG:SYD:P(A;;FA;;;SY)(A;;0x120116;;;AU)", "grants `AU`"),
            ("O:BAG:SYD:P(A;;FA;;;SY)(A;;GW;;;WD)", "grants `WD`"),
            ("O:BAG:SYD:P(A;;FA;;;SY)(A;;WDWO;;;BU)", "grants `BU`"),
            ("O:BAG:SY", "no access control list"),
            ("O:BAG:SYD:NO_ACCESS_CONTROL", "null access control list"),
            ("O:BAG:SYD:P(A;;ZZ;;;BU)", "cannot be read"),
            ("O:BAG:SYD:P(A;;FA;;;SY", "cannot be read"),
            ("G:SYD:P(A;;FA;;;SY)", "no owner"),
        ];
        for (sddl, why) in cases {
            let err = judge_sddl(sddl).unwrap_err();
            assert!(err.contains(why), "{sddl}: {err}");
        }
    }
}
