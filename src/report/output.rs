//! The output directory. A run writes everything into a staging directory
//! next to the target and swaps it into place only when every file is
//! complete, so a failed or interrupted run leaves the previous complete
//! results (or none), never a mix.
//!
//! Every complete run leaves `run.json` in its directory ([`RunRecord`]). It
//! says which scenario wrote the directory, so that a run never replaces the
//! results of a different scenario without `--force` ([`check_replace`]),
//! nor a directory that iopsim did not write. An interrupted run leaves the
//! directory as it was and records itself beside it, in
//! `<out>/<name>.interrupted.json` ([`interrupted_record_path`]).

use std::fs;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

/// The file in every complete results directory that records the run.
pub const RUN_RECORD: &str = "run.json";

/// `<root>/<name>`, after checking that `name` is one plain path component,
/// so that nothing is ever written outside `root`. (The scenario loader
/// already accepts only `[A-Za-z0-9._-]` names not starting with a dot; this
/// keeps the guarantee local.)
pub fn results_dir(root: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let mut parts = Path::new(name).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(_)), None) if !name.starts_with('.') && !name.contains('\\') => {
            Ok(root.join(name))
        }
        _ => bail!(
            "refusing to write outside {}: '{name}' is not a plain directory name",
            root.display()
        ),
    }
}

pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl Staging {
    /// Prepares `<root>/<name>/` for writing.
    pub fn new(root: &Path, name: &str) -> anyhow::Result<Staging> {
        let target = results_dir(root, name)?;
        fs::create_dir_all(root)
            .with_context(|| format!("creating output directory {}", root.display()))?;
        recover_stale(root, name);
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
        let _guard = interrupt::committing();
        let old = self.target.with_file_name(format!(
            ".{}.old-{}",
            self.target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("out"),
            std::process::id()
        ));
        let had_old = self.target.symlink_metadata().is_ok();
        if had_old {
            fs::rename(&self.target, &old)
                .with_context(|| format!("moving aside {}", self.target.display()))?;
        }
        if let Err(e) = fs::rename(&self.staging, &self.target) {
            if had_old {
                let _ = fs::rename(&old, &self.target);
            }
            return Err(e)
                .with_context(|| format!("moving results into {}", self.target.display()));
        }
        self.committed = true;
        if had_old {
            let removed = if old.is_dir() && !old.is_symlink() {
                fs::remove_dir_all(&old)
            } else {
                fs::remove_file(&old)
            };
            removed.with_context(|| format!("removing {}", old.display()))?;
        }
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

/// Cleans up after a process of ours that was killed mid-run: its staging
/// directory is removed, and results it had moved aside for the swap are put
/// back if the swap never happened. Only where we can tell that the process
/// is gone (Linux `/proc`); elsewhere stale directories are left alone.
fn recover_stale(root: &Path, name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    let alive = |pid: &str| pid.parse::<u32>().is_ok() && Path::new("/proc").join(pid).exists();
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(file) = file.to_str() else { continue };
        let Some(rest) = file.strip_prefix(&format!(".{name}.")) else {
            continue;
        };
        let path = e.path();
        if let Some(pid) = rest.strip_prefix("partial-") {
            if !alive(pid) {
                let _ = fs::remove_dir_all(&path);
            }
        } else if let Some(pid) = rest.strip_prefix("old-") {
            if !alive(pid) {
                let target = root.join(name);
                if target.symlink_metadata().is_err() {
                    let _ = fs::rename(&path, &target);
                } else {
                    let _ = fs::remove_dir_all(&path);
                }
            }
        }
    }
}

// ---- run records ------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Complete,
    Interrupted,
}

/// `run.json`: what produced a results directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub status: RunStatus,
    /// iopsim version.
    pub version: String,
    /// Scenario name (the directory's name).
    pub scenario: String,
    /// The scenario file (absolute path) or `<built-in default>`.
    pub source: String,
    /// FNV-1a hash of the scenario file's text, before `--set` overrides.
    pub source_fingerprint: String,
    /// FNV-1a hash of the scenario as simulated (after overrides).
    pub resolved_fingerprint: String,
    pub seed: u64,
    pub trials_requested: u64,
    pub trials_done: u64,
    /// Start of the run, UTC, RFC 3339.
    pub started: String,
    /// Wall-clock time from start to the results in place (or to the interrupt).
    pub seconds: f64,
}

impl RunRecord {
    pub fn to_json(&self) -> anyhow::Result<Vec<u8>> {
        let mut v = serde_json::to_vec_pretty(self)?;
        v.push(b'\n');
        Ok(v)
    }
}

/// 64-bit FNV-1a of some text, as 16 hex digits.
pub fn fingerprint(text: &str) -> String {
    format!("{:016x}", crate::model::rng::name_key(text))
}

/// A point in time as RFC 3339 UTC, to the second.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i64::try_from(secs)
        .ok()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map_or_else(String::new, |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// Where a scenario came from, for [`check_replace`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Absolute path of the file, or `<built-in default>`.
    pub label: String,
    /// The file itself, if any (canonical).
    pub path: Option<PathBuf>,
    /// [`fingerprint`] of the file's text.
    pub fingerprint: String,
}

impl Source {
    /// The scenario file `path` with text `text`, or the built-in default.
    pub fn new(path: Option<&Path>, text: &str) -> Source {
        let path = path.map(|p| fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()));
        Source {
            label: path.as_ref().map_or_else(
                || "<built-in default>".to_string(),
                |p| p.display().to_string(),
            ),
            path,
            fingerprint: fingerprint(text),
        }
    }
}

fn read_record(dir: &Path) -> Option<serde_json::Value> {
    let bytes = fs::read(dir.join(RUN_RECORD)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn inside(path: Option<&Path>, dir: &Path) -> bool {
    match (path, fs::canonicalize(dir)) {
        (Some(p), Ok(d)) => p.starts_with(d),
        _ => false,
    }
}

/// May a run of `source` replace `target`? Yes if it does not exist, with
/// `force`, or if its `run.json` names the same scenario: the same file, a
/// file with the same text, or the directory's own `scenario.toml` being
/// rerun. Other `--set` values or an edited file are the same scenario; a
/// different file that happens to use the same `name` is not, and neither is
/// a directory without a readable `run.json` (not written by iopsim).
pub fn check_replace(target: &Path, source: &Source, force: bool) -> anyhow::Result<()> {
    if force || target.symlink_metadata().is_err() {
        return Ok(());
    }
    let how = "use --out DIR to write elsewhere, or --force to replace it";
    if !target.is_dir() {
        bail!(
            "{} exists and is not a results directory; {how}",
            target.display()
        );
    }
    let Some(rec) = read_record(target) else {
        bail!(
            "{} exists but was not written by this version of iopsim (no readable {RUN_RECORD}); {how}",
            target.display()
        );
    };
    let field = |k: &str| rec.get(k).and_then(|v| v.as_str()).unwrap_or("");
    if field("source") == source.label
        || field("source_fingerprint") == source.fingerprint
        || inside(source.path.as_deref(), target)
    {
        return Ok(());
    }
    bail!(
        "{} holds the results of another scenario file ({}); this run is {}: {how}",
        target.display(),
        field("source"),
        source.label
    )
}

/// The identity to record for a run of `source` into `target`: a rerun of
/// the directory's own `scenario.toml` keeps the original scenario's identity.
pub fn recorded_source(target: &Path, source: Source) -> Source {
    if inside(source.path.as_deref(), target) {
        if let Some(rec) = read_record(target) {
            let field = |k: &str| rec.get(k).and_then(|v| v.as_str()).map(str::to_string);
            if let (Some(label), Some(fingerprint)) = (field("source"), field("source_fingerprint"))
            {
                return Source {
                    label,
                    path: None,
                    fingerprint,
                };
            }
        }
    }
    source
}

/// Where an interrupted run of scenario `name` records itself: beside the
/// results directory, which keeps the previous complete results untouched.
pub fn interrupted_record_path(root: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let dir = results_dir(root, name)?;
    Ok(dir.with_file_name(format!("{name}.interrupted.json")))
}

/// Writes `bytes` to `path` through a temporary file and a rename, so that a
/// reader never sees half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("record"),
        std::process::id()
    ));
    fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

/// A run stopped by Ctrl-C (or SIGTERM). Fatal for the run; the output
/// directory keeps its previous complete results.
#[derive(Debug, thiserror::Error)]
#[error("interrupted after {done} of {requested} trials; {kept}; this run is recorded in {}", record.display())]
pub struct Interrupted {
    pub done: u64,
    pub requested: u64,
    /// What the output directory holds now, in words.
    pub kept: String,
    pub record: PathBuf,
}

/// Ctrl-C and SIGTERM during a run. The first one asks the run to stop after
/// the trials in progress (the caller polls [`requested`](interrupt::requested));
/// a second one quits at once, except while results are being swapped into
/// place. Process-wide, as signals are.
pub mod interrupt {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::OnceLock;

    static REQUESTED: AtomicBool = AtomicBool::new(false);
    static COMMITTING: AtomicBool = AtomicBool::new(false);
    static INSTALLED: OnceLock<bool> = OnceLock::new();

    /// Installs the handler (once per process) and clears any earlier request.
    /// Returns false if a handler could not be installed (the run then simply
    /// dies on Ctrl-C, which still leaves the previous results in place).
    pub fn arm() -> bool {
        REQUESTED.store(false, Ordering::SeqCst);
        *INSTALLED.get_or_init(|| {
            ctrlc::set_handler(|| {
                if REQUESTED.swap(true, Ordering::SeqCst) {
                    if !COMMITTING.load(Ordering::SeqCst) {
                        std::process::exit(130);
                    }
                } else {
                    eprintln!(
                        "\ninterrupt: stopping after the trials in progress (again to quit at once)"
                    );
                }
            })
            .is_ok()
        })
    }

    pub fn requested() -> bool {
        REQUESTED.load(Ordering::SeqCst)
    }

    /// While alive, a second interrupt does not end the process.
    pub struct Committing(());

    pub fn committing() -> Committing {
        COMMITTING.store(true, Ordering::SeqCst);
        Committing(())
    }

    impl Drop for Committing {
        fn drop(&mut self) {
            COMMITTING.store(false, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

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
        assert_eq!(names(root.path()), vec!["x"]);
    }

    #[test]
    fn names_that_leave_the_root_are_refused() {
        let root = tempfile::tempdir().unwrap();
        for bad in ["../x", "a/b", "/etc", ".hidden", "..", ".", "", "a\\b"] {
            assert!(Staging::new(root.path(), bad).is_err(), "{bad:?}");
        }
        assert!(names(root.path()).is_empty());
    }

    #[test]
    fn a_killed_runs_leftovers_are_cleaned_or_restored() {
        let root = tempfile::tempdir().unwrap();
        // No such process: pids are below 2^22 on Linux.
        let dead = 4_194_305u32;
        fs::create_dir(root.path().join(format!(".x.partial-{dead}"))).unwrap();
        let old = root.path().join(format!(".x.old-{dead}"));
        fs::create_dir(&old).unwrap();
        fs::write(old.join("a.csv"), b"previous").unwrap();
        let s = Staging::new(root.path(), "x").unwrap();
        if Path::new("/proc/self").exists() {
            // Killed between the two renames: the previous results come back.
            assert_eq!(fs::read(root.path().join("x/a.csv")).unwrap(), b"previous");
        }
        drop(s);
    }

    fn record(source: &Source) -> RunRecord {
        RunRecord {
            status: RunStatus::Complete,
            version: "0".into(),
            scenario: "x".into(),
            source: source.label.clone(),
            source_fingerprint: source.fingerprint.clone(),
            resolved_fingerprint: String::new(),
            seed: 1,
            trials_requested: 1,
            trials_done: 1,
            started: rfc3339(SystemTime::UNIX_EPOCH),
            seconds: 0.0,
        }
    }

    #[test]
    fn only_the_same_scenario_may_replace_results_without_force() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("x");
        let a = root.path().join("a.toml");
        let b = root.path().join("b.toml");
        fs::write(&a, "name = 'x' # a").unwrap();
        fs::write(&b, "name = 'x' # b").unwrap();
        let src_a = Source::new(Some(&a), "name = 'x' # a");
        let src_b = Source::new(Some(&b), "name = 'x' # b");
        assert!(
            check_replace(&target, &src_b, false).is_ok(),
            "nothing there yet"
        );
        fs::create_dir(&target).unwrap();
        let err = check_replace(&target, &src_a, false).unwrap_err();
        assert!(err.to_string().contains("not written by"), "{err}");
        fs::write(target.join(RUN_RECORD), record(&src_a).to_json().unwrap()).unwrap();
        assert!(check_replace(&target, &src_a, false).is_ok());
        let edited = Source::new(Some(&a), "name = 'x' # a, edited");
        assert!(check_replace(&target, &edited, false).is_ok(), "same file");
        let copy = Source::new(Some(&root.path().join("copy.toml")), "name = 'x' # a");
        assert!(check_replace(&target, &copy, false).is_ok(), "same text");
        let err = check_replace(&target, &src_b, false).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        assert!(check_replace(&target, &src_b, true).is_ok());
        // Rerunning the directory's own scenario.toml keeps its identity.
        fs::write(target.join("scenario.toml"), "name = 'x' # resolved").unwrap();
        let own = Source::new(Some(&target.join("scenario.toml")), "name = 'x' # resolved");
        assert!(check_replace(&target, &own, false).is_ok());
        assert_eq!(recorded_source(&target, own).label, src_a.label);
    }

    #[test]
    fn records_round_trip_as_json() {
        let src = Source::new(None, "text");
        assert_eq!(src.label, "<built-in default>");
        let r = record(&src);
        let back: RunRecord = serde_json::from_slice(&r.to_json().unwrap()).unwrap();
        assert_eq!(back, r);
        assert!(String::from_utf8(r.to_json().unwrap())
            .unwrap()
            .contains("\"status\": \"complete\""));
        assert_eq!(r.started, "1970-01-01T00:00:00Z");
    }
}
