//! The credentials file of `agentry agent register`: created with mode 0600 before the
//! work starts, written once, removed again if the registration failed.

use anyhow::{anyhow, Context};
use serde_json::Value;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The credentials file, claimed (created with mode 0600) before the work starts. With
/// `--force` a temporary file next to it is written and renamed over it, so an existing
/// file is only replaced by a successful registration. Removed again if nothing was
/// written (the registration failed).
pub(super) struct OutFile {
    path: PathBuf,
    /// The file being written: `path` itself, or the temporary file with `--force`.
    writing: PathBuf,
    file: Option<File>,
}

impl OutFile {
    pub(super) fn create(path: &Path, force: bool) -> anyhow::Result<Self> {
        let writing = if force {
            let name =
                path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "agent.json".into());
            path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
        } else {
            path.to_path_buf()
        };
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let file = opts.open(&writing).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists && !force {
                anyhow!(
                    "{} already exists; pass --force to overwrite it or --out to choose another file",
                    path.display()
                )
            } else {
                anyhow!("cannot create {}: {e}", writing.display())
            }
        })?;
        Ok(Self { path: path.to_path_buf(), writing, file: Some(file) })
    }

    pub(super) fn write(&mut self, creds: &Value) -> anyhow::Result<()> {
        let mut file = self.file.take().ok_or_else(|| anyhow!("credentials already written"))?;
        let text = serde_json::to_string_pretty(creds)? + "\n";
        let lost = || {
            format!("the agent was registered but writing {} failed; its credentials are:\n{text}", self.path.display())
        };
        file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).with_context(lost)?;
        if self.writing != self.path {
            std::fs::rename(&self.writing, &self.path).with_context(lost)?;
        }
        Ok(())
    }
}

impl Drop for OutFile {
    fn drop(&mut self) {
        // Still unwritten: the registration failed; leave no empty file behind.
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.writing);
        }
    }
}
