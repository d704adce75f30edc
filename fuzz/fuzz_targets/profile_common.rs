//! Runs the whole profile pipeline (parse, schema, lints, composition) on bytes.

use std::path::Path;

use warden_profile::SourceLoader;

/// Serves the fuzz input as the profile and refuses every other path, so an
/// `extends` in the input exercises the not-found path without touching the disk.
pub struct OneFile<'a>(pub &'a str, pub &'a [u8]);

impl SourceLoader for OneFile<'_> {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        if path == Path::new(self.0) {
            Ok(self.1.to_vec())
        } else {
            Err(std::io::ErrorKind::NotFound.into())
        }
    }
}

pub fn run(name: &str, data: &[u8]) {
    let loaded = warden_profile::load(Path::new(name), &OneFile(name, data));
    // Every finding must be locatable in the text it came from.
    for f in &loaded.findings {
        if let (Some(line), Some(text)) = (f.location.line, loaded.sources.get(name)) {
            assert!(line as usize <= text.lines().count() + 1, "{f:?}");
        }
    }
    if let Some(p) = loaded.profile {
        for (ptr, case) in &p.tests {
            let _ = warden_profile::cases::run_case(&p.policy, ptr, case);
        }
    }
}
