//! The output directory. A run writes everything into a staging directory
//! next to the target and swaps it into place only when every file is
//! complete (and on disk: files and directories are synced), so a failed,
//! interrupted or killed run leaves the previous complete results (or none),
//! never a mix.
//!
//! Every command that writes a folder first takes a [`Claim`] on it, before
//! it simulates anything: the leftovers of a killed run are recovered, then
//! the folder's `run.json` ([`RunRecord`]) must say that the same command
//! ran the same scenario, or the claim is refused without `--force`
//! ([`check_replace`]). A folder without a readable `run.json` (not written
//! by iopsim) is never replaced without `--force`. An interrupted run leaves
//! the folder as it was and records itself beside it, in
//! `<out>/<name>.interrupted.json` ([`interrupted_record_path`]).

use std::fs;
use std::io::Write as _;
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

/// Longest folder name used as it is in the names of its siblings (staging
/// and set-aside directories, the interrupted-run record). File names are
/// limited to 255 bytes on common file systems, and the siblings add up to
/// 30 bytes to the name (`.<name>.interrupted.json.tmp-<pid>`), so a longer
/// name is cut and made unique with its fingerprint.
const SIBLING_STEM_MAX: usize = 200;

/// The part of sibling file names that stands for the folder `name`: the
/// name itself, or for a very long name its first characters and its
/// [`fingerprint`] (200 bytes in all).
fn sibling_stem(name: &str) -> String {
    if name.len() <= SIBLING_STEM_MAX {
        return name.to_string();
    }
    let hash = fingerprint(name);
    let keep = SIBLING_STEM_MAX - hash.len() - 1;
    let mut cut = keep;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}~{hash}", &name[..cut])
}

/// The staging directory of process `pid` for the folder `name`.
fn staging_dir(root: &Path, name: &str, pid: u32) -> PathBuf {
    root.join(format!(".{}.partial-{pid}", sibling_stem(name)))
}

/// Where process `pid` sets the previous results aside during the swap.
fn set_aside_dir(root: &Path, name: &str, pid: u32) -> PathBuf {
    root.join(format!(".{}.old-{pid}", sibling_stem(name)))
}

/// Writes `bytes` to a new file at `path` and waits until they are on disk.
fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// Syncs every file in `dir` to disk, several at once: the file system
/// commits concurrent syncs together, so the 22 files of a default run take
/// about a third of the time they take one after another (measured in
/// `docs/robustness.md`).
fn sync_files(dir: &Path) -> anyhow::Result<()> {
    let files: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("reading {}", dir.display()))?;
    // A folder inside (the log's, `run --log-dir`): its files, then itself.
    for sub in files.iter().filter(|p| p.is_dir()) {
        sync_files(sub)?;
        sync_dir(sub)?;
    }
    let sync = |p: &PathBuf| {
        fs::File::open(p)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("syncing {} to disk", p.display()))
    };
    let threads = files.len().clamp(1, 8);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|k| {
                let files = &files;
                scope.spawn(move || files.iter().skip(k).step_by(threads).try_for_each(sync))
            })
            .collect();
        workers.into_iter().try_for_each(|w| {
            w.join()
                .unwrap_or_else(|_| bail!("syncing {}: a thread panicked", dir.display()))
        })
    })
}

/// Syncs a directory, so that the files created or renamed in it are on
/// disk. Only on Unix, where a directory can be opened and synced.
pub fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {} to disk", dir.display()))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Which command wrote a folder, for a folder's `run.json`. Records written
/// before the field existed are `run`'s: it was the only command that wrote them.
fn default_command() -> String {
    "run".to_string()
}

/// Who writes a folder: a command and the scenario it ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// `run`, `compare`, `sweep`, `size` or `validate`.
    pub command: String,
    pub source: Source,
}

impl Owner {
    pub fn new(command: &str, source: Source) -> Owner {
        Owner {
            command: command.to_string(),
            source,
        }
    }
}

/// The right to write `<root>/<name>/`, taken before any simulation: the
/// leftovers of a killed run are recovered first (so that restored results
/// are checked like any others), then the folder's owner is checked.
#[derive(Debug)]
pub struct Claim {
    root: PathBuf,
    name: String,
    target: PathBuf,
    owner: Owner,
}

impl Claim {
    /// Claims `<root>/<name>/` for `owner`; refused if it holds another
    /// command's or another scenario's output, or anything iopsim did not
    /// write, unless `force`. Creates `root` if needed.
    pub fn new(root: &Path, name: &str, owner: Owner, force: bool) -> anyhow::Result<Claim> {
        let target = results_dir(root, name)?;
        fs::create_dir_all(root)
            .with_context(|| format!("creating output directory {}", root.display()))?;
        // Before the check: results a killed run had set aside come back
        // first, so that they are never replaced without the check.
        recover_stale(root, name);
        check_replace(&target, &owner, force)?;
        let owner = Owner {
            source: recorded_source(&target, owner.source),
            ..owner
        };
        Ok(Claim {
            root: root.to_path_buf(),
            name: name.to_string(),
            target,
            owner,
        })
    }

    /// The folder claimed.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The owner to record in the folder's `run.json`: the claimant, except
    /// that a rerun of the folder's own `scenario.toml` keeps the identity of
    /// the scenario that first wrote it.
    pub fn owner(&self) -> &Owner {
        &self.owner
    }

    /// Where an interrupted run of this folder records itself.
    pub fn interrupted_record(&self) -> anyhow::Result<PathBuf> {
        interrupted_record_path(&self.root, &self.name)
    }

    /// Starts writing: creates the staging directory.
    pub fn stage(&self) -> anyhow::Result<Staging> {
        Staging::new(&self.root, &self.name)
    }
}

pub struct Staging {
    target: PathBuf,
    staging: PathBuf,
    committed: bool,
}

impl Staging {
    /// Prepares `<root>/<name>/` for writing, without checking who owns it:
    /// commands go through [`Claim::stage`].
    pub fn new(root: &Path, name: &str) -> anyhow::Result<Staging> {
        let target = results_dir(root, name)?;
        fs::create_dir_all(root)
            .with_context(|| format!("creating output directory {}", root.display()))?;
        recover_stale(root, name);
        let staging = staging_dir(root, name, std::process::id());
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

    /// The staging directory itself.
    pub fn dir(&self) -> &Path {
        &self.staging
    }

    /// Writes `file` into the staging directory ([`Staging::commit`] syncs it).
    pub fn write(&self, file: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let p = self.path(file);
        fs::write(&p, bytes).with_context(|| format!("writing {}", p.display()))
    }

    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Replaces the target directory with the staged one. Every staged file
    /// and the staging directory are synced to disk before the swap, and the
    /// parent after it, so that after a power loss the parent holds either
    /// the old results or the new ones, complete.
    pub fn commit(self) -> anyhow::Result<PathBuf> {
        let guard = interrupt::committing();
        sync_files(&self.staging)?;
        sync_dir(&self.staging)?;
        let old = self.set_aside()?;
        let dir = self.move_in(old)?;
        guard.done();
        Ok(dir)
    }

    /// First half of the swap: moves the previous results (if any) aside.
    /// A process killed right after this leaves no `<name>/`, only the
    /// set-aside directory, which the next [`Claim`] puts back.
    fn set_aside(&self) -> anyhow::Result<Option<PathBuf>> {
        if self.target.symlink_metadata().is_err() {
            return Ok(None);
        }
        let root = self.target.parent().unwrap_or(Path::new("."));
        let name = self
            .target
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("out");
        let old = set_aside_dir(root, name, std::process::id());
        fs::rename(&self.target, &old)
            .with_context(|| format!("moving aside {}", self.target.display()))?;
        Ok(Some(old))
    }

    /// Second half of the swap: moves the staged results in and removes the
    /// previous ones.
    fn move_in(mut self, old: Option<PathBuf>) -> anyhow::Result<PathBuf> {
        if let Err(e) = fs::rename(&self.staging, &self.target) {
            if let Some(old) = &old {
                let _ = fs::rename(old, &self.target);
            }
            return Err(e)
                .with_context(|| format!("moving results into {}", self.target.display()));
        }
        self.committed = true;
        if let Some(parent) = self.target.parent() {
            sync_dir(parent)?;
        }
        if let Some(old) = old {
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
    let prefix = format!(".{}.", sibling_stem(name));
    for e in entries.flatten() {
        let file = e.file_name();
        let Some(file) = file.to_str() else { continue };
        let Some(rest) = file.strip_prefix(&prefix) else {
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
    /// The command that wrote the folder: `run`, `compare`, `sweep`, `size`
    /// or `validate` (`run` in records of versions before the field).
    #[serde(default = "default_command")]
    pub command: String,
    /// iopsim version.
    pub version: String,
    /// Scenario name (for `compare` the baseline's, for `validate` `validation`).
    pub scenario: String,
    /// The scenario file (absolute path) or `<built-in default>`.
    pub source: String,
    /// FNV-1a hash of the scenario file's text, before `--set` overrides.
    pub source_fingerprint: String,
    /// FNV-1a hash of the scenario as simulated (after overrides).
    pub resolved_fingerprint: String,
    pub seed: u64,
    /// Trials of each run (`compare`, `sweep` and `size` run several; 0 for
    /// `validate`, whose cases choose their own).
    pub trials_requested: u64,
    pub trials_done: u64,
    /// The `--set KEY=VALUE` overrides of the scenario file, in order (a
    /// what-if); absent when the file ran as written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<String>,
    /// Start of the run, UTC, RFC 3339.
    pub started: String,
    /// Wall-clock time from start to the results in place (or to the interrupt).
    pub seconds: f64,
    /// The patient-level log written with the results (`run --log`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<LogRecord>,
}

/// What a run's patient-level log holds (`docs/data.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogRecord {
    /// The version of the log's columns.
    pub schema: u32,
    /// Trials logged: the first `trials` of the run.
    pub trials: u64,
    /// The files, relative to the results folder.
    pub files: Vec<String>,
    /// Rows of `patients.csv` (visits) and of `sessions.csv`.
    pub visits: u64,
    pub sessions: u64,
    /// Rows of `attendance.csv`, when it was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendances: Option<u64>,
}

impl RunRecord {
    /// A complete run of `owner`, started at `started`, with the other
    /// fields empty for the caller to fill in.
    pub fn new(owner: &Owner, scenario: &str, started: SystemTime) -> RunRecord {
        RunRecord {
            status: RunStatus::Complete,
            command: owner.command.clone(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: scenario.to_string(),
            source: owner.source.label.clone(),
            source_fingerprint: owner.source.fingerprint.clone(),
            resolved_fingerprint: String::new(),
            seed: 0,
            trials_requested: 0,
            trials_done: 0,
            overrides: Vec::new(),
            started: rfc3339(started),
            seconds: 0.0,
            log: None,
        }
    }

    pub fn to_json(&self) -> anyhow::Result<Vec<u8>> {
        let mut v = serde_json::to_vec_pretty(self)?;
        v.push(b'\n');
        Ok(v)
    }
}

/// The results folder of scenario `name` run with the `--set` overrides
/// `sets`: `name` for the file as written, `name+<8 hex digits>` for a
/// what-if, the digits a hash of the overrides as given. A what-if never
/// replaces the baseline's results, the same overrides find their folder
/// again, and `+` cannot occur in a scenario name, so no scenario can
/// claim another's what-if folder. A `--set name=...` among the overrides
/// has named the what-if itself: its name is the folder.
pub fn results_folder(name: &str, sets: &[String]) -> String {
    let renamed = sets
        .iter()
        .any(|s| s.split_once('=').is_some_and(|(k, _)| k.trim() == "name"));
    if sets.is_empty() || renamed {
        name.to_string()
    } else {
        format!("{name}+{}", &fingerprint(&sets.join("\n"))[..8])
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

/// May `owner` replace `target`? Yes if it does not exist, with `force`, or
/// if its `run.json` says the same command wrote it from the same scenario:
/// the same file, a file with the same text, or the directory's own
/// `scenario.toml` being rerun. Other `--set` values or an edited file are
/// the same scenario; a different file that happens to use the same `name`
/// is not, nor is another command's output (a `run` of a scenario named
/// `validation` is not `validate`'s), nor a directory without a readable
/// `run.json` (not written by iopsim).
pub fn check_replace(target: &Path, owner: &Owner, force: bool) -> anyhow::Result<()> {
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
    let command = rec
        .get("command")
        .and_then(|v| v.as_str())
        .map_or_else(default_command, str::to_string);
    if command != owner.command {
        bail!(
            "{} holds the output of `iopsim {command}` ({}); this is `iopsim {}`: {how}",
            target.display(),
            field("source"),
            owner.command
        );
    }
    let source = &owner.source;
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
/// A very long name is shortened there (`sibling_stem`) so that the file
/// name stays within the file system's limit.
pub fn interrupted_record_path(root: &Path, name: &str) -> anyhow::Result<PathBuf> {
    results_dir(root, name)?;
    Ok(root.join(format!("{}.interrupted.json", sibling_stem(name))))
}

/// Writes `bytes` to `path` through a synced temporary file and a rename,
/// so that a reader never sees half a file, even after a power loss.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_file_name(format!(
        ".{}.tmp-{}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("record"),
        std::process::id()
    ));
    write_synced(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => sync_dir(dir),
        _ => Ok(()),
    }
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

/// Ctrl-C, SIGTERM and SIGHUP during a run. The first one asks the run to
/// stop: [`flag`](interrupt::flag) is set, which `trials::run_until` reads
/// before every trial, so the run stops once the trials in progress end. A
/// second one quits at once, after running the tidy-up the run registered
/// with [`on_quit`](interrupt::on_quit) (remove the staging directory,
/// record the interrupted run), except while results are being swapped into
/// place. A signal that was ignored when iopsim started (SIGHUP under
/// `nohup`) stays ignored. Process-wide, as signals are.
pub mod interrupt {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Mutex, MutexGuard, OnceLock};

    static REQUESTED: AtomicBool = AtomicBool::new(false);
    static INSTALLED: OnceLock<bool> = OnceLock::new();

    type Tidy = Box<dyn FnOnce() -> anyhow::Result<()> + Send>;

    /// What a second interrupt may do. One lock, so that the signal thread
    /// and the run never tidy up at the same time, and a quit never starts
    /// during the swap (nor the swap during a quit: the signal thread holds
    /// the lock until the process exits).
    struct Quit {
        committing: bool,
        tidy: Option<Tidy>,
    }

    static QUIT: Mutex<Quit> = Mutex::new(Quit {
        committing: false,
        tidy: None,
    });

    fn quit() -> MutexGuard<'static, Quit> {
        // A panic while holding the lock leaves plain data: still usable.
        QUIT.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Installs the handler (once per process) and clears any earlier request.
    /// Returns false if a handler could not be installed (the run then simply
    /// dies on Ctrl-C, which still leaves the previous results in place).
    pub fn arm() -> bool {
        REQUESTED.store(false, Ordering::SeqCst);
        *INSTALLED.get_or_init(|| {
            let ignored = signals::ignored();
            let installed = ctrlc::set_handler(on_signal).is_ok();
            // ctrlc takes SIGINT, SIGTERM and SIGHUP; give back the ones
            // whoever started us chose to ignore (nohup: SIGHUP).
            signals::ignore(&ignored);
            installed
        })
    }

    fn on_signal() {
        if !REQUESTED.swap(true, Ordering::SeqCst) {
            eprintln!("\ninterrupt: stopping after the trials in progress (again to quit at once)");
            return;
        }
        let mut q = quit();
        if q.committing {
            eprintln!("\ninterrupt: the results are being put in place; quitting right after");
            return;
        }
        if let Some(tidy) = q.tidy.take() {
            if let Err(e) = tidy() {
                eprintln!("error: {e:#}");
            }
        }
        // Exit with the lock held: nothing else may start a swap now.
        std::process::exit(130);
    }

    /// Has a stop been requested?
    pub fn requested() -> bool {
        REQUESTED.load(Ordering::SeqCst)
    }

    /// The stop request itself, for `trials::run_until`.
    pub fn flag() -> &'static AtomicBool {
        &REQUESTED
    }

    /// Registers what a second interrupt does before quitting, replacing
    /// anything registered earlier. Cleared by a commit and by [`tidy_now`].
    pub fn on_quit(tidy: impl FnOnce() -> anyhow::Result<()> + Send + 'static) {
        quit().tidy = Some(Box::new(tidy));
    }

    /// Runs the registered tidy-up now (the run stopping after a first
    /// interrupt), unless the signal thread already took it. `None` if
    /// nothing was registered any more.
    pub fn tidy_now() -> Option<anyhow::Result<()>> {
        // Holding the lock: a second interrupt meanwhile waits for the
        // record to be written, then quits.
        let mut q = quit();
        q.tidy.take().map(|t| t())
    }

    /// Forgets the registered tidy-up (the run ended another way).
    pub fn clear_quit() {
        quit().tidy = None;
    }

    /// While alive, a second interrupt does not end the process. Dropping it
    /// after a successful swap clears the tidy-up: there is nothing left to
    /// tidy, and the run is complete.
    pub struct Committing(());

    pub fn committing() -> Committing {
        quit().committing = true;
        Committing(())
    }

    impl Committing {
        pub(super) fn done(self) {
            quit().tidy = None;
        }
    }

    impl Drop for Committing {
        fn drop(&mut self) {
            quit().committing = false;
        }
    }

    #[cfg(unix)]
    mod signals {
        /// The signals the handler takes over that are ignored now.
        pub fn ignored() -> Vec<libc::c_int> {
            [libc::SIGINT, libc::SIGTERM, libc::SIGHUP]
                .into_iter()
                .filter(|&sig| {
                    // SAFETY: with a null new action, sigaction only reads the
                    // current one into `old`, a plain struct we own.
                    unsafe {
                        let mut old: libc::sigaction = std::mem::zeroed();
                        libc::sigaction(sig, std::ptr::null(), &mut old) == 0
                            && old.sa_sigaction == libc::SIG_IGN
                    }
                })
                .collect()
        }

        pub fn ignore(sigs: &[libc::c_int]) {
            for &sig in sigs {
                // SAFETY: SIG_IGN installs no code of ours; it is the
                // disposition the signal had when the process started.
                unsafe {
                    libc::signal(sig, libc::SIG_IGN);
                }
            }
        }
    }

    #[cfg(not(unix))]
    mod signals {
        pub fn ignored() -> Vec<i32> {
            Vec::new()
        }
        pub fn ignore(_: &[i32]) {}
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
            command: "run".into(),
            version: "0".into(),
            scenario: "x".into(),
            source: source.label.clone(),
            source_fingerprint: source.fingerprint.clone(),
            resolved_fingerprint: String::new(),
            seed: 1,
            trials_requested: 1,
            trials_done: 1,
            overrides: Vec::new(),
            started: rfc3339(SystemTime::UNIX_EPOCH),
            seconds: 0.0,
            log: None,
        }
    }

    #[test]
    fn a_what_if_has_its_own_folder_unless_it_names_itself() {
        let sets = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(results_folder("base", &[]), "base");
        let a = results_folder("base", &sets(&["units.iop.tracks.evening.groups=2"]));
        let b = results_folder("base", &sets(&["units.iop.tracks.evening.groups=3"]));
        assert!(
            a.starts_with("base+") && a.len() == "base+".len() + 8,
            "{a}"
        );
        assert_ne!(a, b);
        // The same overrides find the same folder again.
        assert_eq!(
            a,
            results_folder("base", &sets(&["units.iop.tracks.evening.groups=2"]))
        );
        assert_eq!(
            results_folder("base", &sets(&["a=1", " name = two"])),
            "base"
        );
        // `+` is not allowed in a scenario's own name, so no scenario's
        // folder is a what-if folder.
        assert!(results_dir(Path::new("out"), &a).is_ok());
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
        let run = |s: &Source| Owner::new("run", s.clone());
        assert!(
            check_replace(&target, &run(&src_b), false).is_ok(),
            "nothing there yet"
        );
        fs::create_dir(&target).unwrap();
        let err = check_replace(&target, &run(&src_a), false).unwrap_err();
        assert!(err.to_string().contains("not written by"), "{err}");
        fs::write(target.join(RUN_RECORD), record(&src_a).to_json().unwrap()).unwrap();
        assert!(check_replace(&target, &run(&src_a), false).is_ok());
        let edited = Source::new(Some(&a), "name = 'x' # a, edited");
        assert!(
            check_replace(&target, &run(&edited), false).is_ok(),
            "same file"
        );
        let copy = Source::new(Some(&root.path().join("copy.toml")), "name = 'x' # a");
        assert!(
            check_replace(&target, &run(&copy), false).is_ok(),
            "same text"
        );
        let err = check_replace(&target, &run(&src_b), false).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        assert!(check_replace(&target, &run(&src_b), true).is_ok());
        // Rerunning the directory's own scenario.toml keeps its identity.
        fs::write(target.join("scenario.toml"), "name = 'x' # resolved").unwrap();
        let own = Source::new(Some(&target.join("scenario.toml")), "name = 'x' # resolved");
        assert!(check_replace(&target, &run(&own), false).is_ok());
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

    /// Stands for a process that has since died: pids are below 2^22 on Linux.
    const DEAD: u32 = 4_194_305;

    fn commit_files(claim: &Claim, files: &[(&str, &[u8])]) {
        let s = claim.stage().unwrap();
        for (f, bytes) in files {
            s.write(f, bytes).unwrap();
        }
        let rec = RunRecord::new(claim.owner(), "x", SystemTime::now());
        s.write(RUN_RECORD, &rec.to_json().unwrap()).unwrap();
        s.commit().unwrap();
    }

    #[test]
    fn a_kill_between_the_renames_is_recovered_before_the_owner_check() {
        if !Path::new("/proc/self").exists() {
            return; // leftovers are only recovered where dead pids can be told
        }
        let root = tempfile::tempdir().unwrap();
        let a = Owner::new("run", Source::new(Some(&root.path().join("a.toml")), "a"));
        let b = Owner::new("run", Source::new(Some(&root.path().join("b.toml")), "b"));
        commit_files(
            &Claim::new(root.path(), "x", a.clone(), false).unwrap(),
            &[("a.csv", b"previous")],
        );
        // A second run of a is killed between the two renames of its swap:
        // the previous results are set aside and nothing else runs, not even
        // the staging directory's drop.
        let s = Claim::new(root.path(), "x", a, false)
            .unwrap()
            .stage()
            .unwrap();
        s.write("a.csv", b"new").unwrap();
        let old = s.set_aside().unwrap().expect("there were results");
        let staged = s.dir().to_path_buf();
        std::mem::forget(s);
        assert!(!root.path().join("x").exists());
        // The killed process is gone: its leftovers carry a dead pid.
        fs::rename(&old, set_aside_dir(root.path(), "x", DEAD)).unwrap();
        fs::rename(&staged, staging_dir(root.path(), "x", DEAD)).unwrap();
        // A different scenario file with the same name finds a's results
        // back in place, and is refused.
        let err = Claim::new(root.path(), "x", b.clone(), false).unwrap_err();
        assert!(err.to_string().contains("another scenario file"), "{err}");
        assert_eq!(fs::read(root.path().join("x/a.csv")).unwrap(), b"previous");
        assert_eq!(names(root.path()), vec!["x"]);
        assert!(Claim::new(root.path(), "x", b, true).is_ok());
    }

    #[test]
    fn another_commands_output_is_not_replaced_without_force() {
        let root = tempfile::tempdir().unwrap();
        let src = Source::new(None, "text");
        commit_files(
            &Claim::new(root.path(), "x", Owner::new("run", src.clone()), false).unwrap(),
            &[],
        );
        let err =
            Claim::new(root.path(), "x", Owner::new("validate", src.clone()), false).unwrap_err();
        assert!(err.to_string().contains("`iopsim run`"), "{err}");
        assert!(err.to_string().contains("--force"), "{err}");
        assert!(Claim::new(root.path(), "x", Owner::new("run", src.clone()), false).is_ok());
        assert!(Claim::new(root.path(), "x", Owner::new("validate", src), true).is_ok());
        // A record from before the command was recorded is run's.
        let old = String::from_utf8(fs::read(root.path().join("x").join(RUN_RECORD)).unwrap())
            .unwrap()
            .replace("\"command\": \"run\",", "");
        assert!(!old.contains("command"));
        fs::write(root.path().join("x").join(RUN_RECORD), old).unwrap();
        let any = Source::new(None, "other");
        assert!(check_replace(
            &root.path().join("x"),
            &Owner::new("run", any.clone()),
            false
        )
        .is_ok());
        assert!(check_replace(&root.path().join("x"), &Owner::new("sweep", any), false).is_err());
    }

    #[test]
    fn very_long_names_keep_their_sibling_files_within_the_name_limit() {
        let root = tempfile::tempdir().unwrap();
        // 250 bytes: the folder itself fits in a file name, its siblings
        // (".<name>.partial-<pid>", "<name>.interrupted.json") would not.
        let name = "n".repeat(250);
        let owner = Owner::new("run", Source::new(None, "text"));
        let claim = Claim::new(root.path(), &name, owner, false).unwrap();
        let s = claim.stage().unwrap();
        s.write("a.csv", b"first").unwrap();
        s.commit().unwrap();
        let s = claim.stage().unwrap();
        s.write("a.csv", b"second").unwrap();
        s.commit().unwrap();
        assert_eq!(
            fs::read(root.path().join(&name).join("a.csv")).unwrap(),
            b"second"
        );
        let record = claim.interrupted_record().unwrap();
        write_atomic(&record, b"{}").unwrap();
        assert_eq!(fs::read(&record).unwrap(), b"{}");
        let file = record.file_name().unwrap().to_str().unwrap();
        assert!(
            file.len() <= 255 && file.ends_with(".interrupted.json"),
            "{file}"
        );
        // Two long names that differ only at the end get different records.
        let other = format!("{}m", "n".repeat(249));
        assert_ne!(
            interrupted_record_path(root.path(), &other).unwrap(),
            record
        );
        assert_eq!(sibling_stem("short"), "short");
    }
}
