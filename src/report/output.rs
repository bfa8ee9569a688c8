//! The output directory. A run writes everything into a staging directory
//! next to the target and swaps it into place only when every file is
//! complete, so a failed or interrupted run leaves the previous complete
//! results (or none), never a mix.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl Staging {
    /// Prepares `<root>/<name>/` for writing. `name` was validated as a plain
    /// directory name by the scenario loader.
    pub fn new(root: &Path, name: &str) -> anyhow::Result<Staging> {
        fs::create_dir_all(root)
            .with_context(|| format!("creating output directory {}", root.display()))?;
        let target = root.join(name);
        let staging = root.join(format!(".{name}.partial-{}", std::process::id()));
        if staging.exists() {
            fs::remove_dir_all(&staging)
                .with_context(|| format!("removing stale {}", staging.display()))?;
        }
        fs::create_dir(&staging).with_context(|| format!("creating {}", staging.display()))?;
        Ok(Staging {
            target,
            staging,
            committed: false,
        })
    }

    /// Where files are written before the swap.
    pub fn path(&self, file: &str) -> PathBuf {
        self.staging.join(file)
    }

    pub fn write(&self, file: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let p = self.path(file);
        fs::write(&p, bytes).with_context(|| format!("writing {}", p.display()))
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Replaces the target directory with the staged one.
    pub fn commit(mut self) -> anyhow::Result<PathBuf> {
        let old = self.target.with_file_name(format!(
            ".{}.old-{}",
            self.target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("out"),
            std::process::id()
        ));
        let had_old = self.target.exists();
        if had_old {
            fs::rename(&self.target, &old)
                .with_context(|| format!("moving aside {}", self.target.display()))?;
        }
        fs::rename(&self.staging, &self.target)
            .with_context(|| format!("moving results into {}", self.target.display()))?;
        if had_old {
            fs::remove_dir_all(&old).with_context(|| format!("removing {}", old.display()))?;
        }
        self.committed = true;
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncommitted_runs_leave_previous_results_untouched() {
        let root = tempfile::tempdir().unwrap();
        let s = Staging::new(root.path(), "x").unwrap();
        s.write("a.csv", b"first").unwrap();
        s.commit().unwrap();
        let s = Staging::new(root.path(), "x").unwrap();
        s.write("a.csv", b"second, unfinished").unwrap();
        drop(s);
        assert_eq!(fs::read(root.path().join("x/a.csv")).unwrap(), b"first");
        let names: Vec<_> = fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("x")]);
    }
}
