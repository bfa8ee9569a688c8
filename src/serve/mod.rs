//! `iopsim serve`: a local web server for the planner (issue 22). This is
//! its core: the door and the run behind it; the planner's page of levers
//! comes on top of the same API.
//!
//! Why tiny_http: a small synchronous server (no async runtime, a handful
//! of dependencies) fits a tool whose work per request is a CPU-bound run
//! of a few hundred milliseconds on rayon's pool; a request thread that
//! waits for its run costs nothing worth an executor.
//!
//! A server is a door, so:
//! - it listens on 127.0.0.1 unless told otherwise; listening on any other
//!   address requires an access token (generated and printed unless given),
//!   sent as `Authorization: Bearer TOKEN` (or `?token=` on the page's
//!   address, which the page then sends itself);
//! - the `Host` header must name the server (a page of another site cannot
//!   reach it through a name it controls: DNS rebinding), and a request
//!   with an `Origin` other than the server's own is refused;
//! - bodies are limited to [`MAX_BODY_BYTES`]; a run is limited to
//!   [`MAX_TRIALS`] trials and [`TIME_LIMIT`]; runs go one at a time, with
//!   at most [`MAX_WAITING`] waiting, the rest told to retry;
//! - nothing a request says reaches the file system.
//!
//! The API (JSON out):
//! - `GET /`: the page;
//! - `GET /api/scenario`: the scenario the server was started with, as TOML;
//! - `POST /api/check` with a scenario's TOML: its problems, in `check`'s words;
//! - `POST /api/run?trials=N` with a scenario's TOML: every metric's
//!   summary over the trials, or the scenario's problems (422);
//! - `POST /api/compare?trials=N` with `{"baseline": TOML, "alternative":
//!   TOML}`: each metric's paired difference on common random numbers, its
//!   95% interval and the share of trials the alternative is better in.

pub mod levers;
pub mod planner;

use std::collections::HashMap;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tiny_http::{Header, Method, Request, Response, Server};

use crate::scenario::{self, ScenarioError, DEFAULT_TOML};
use crate::trials::{self, RunOptions, RunResults};

/// The largest request body read: a scenario is a few kilobytes.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// The most trials one run may ask for.
pub const MAX_TRIALS: u32 = 20_000;
/// A run still going after this is stopped.
pub const TIME_LIMIT: Duration = Duration::from_secs(60);
/// Runs waiting for the one in progress, beyond which requests are told
/// to retry (503).
pub const MAX_WAITING: usize = 8;
/// Threads answering requests: more than the runs that may hold one (the
/// one in progress and [`MAX_WAITING`] waiting), so that the page's
/// script, the levers and the busy answer never wait behind runs.
const WORKERS: usize = 2 * MAX_WAITING;

/// What `iopsim serve` was started with.
#[derive(Debug, Clone)]
pub struct Config {
    /// The scenario's text and where it came from.
    pub scenario: String,
    pub origin: String,
    pub host: IpAddr,
    /// 0: any free port.
    pub port: u16,
    /// Required when not listening on loopback.
    pub token: Option<String>,
    pub threads: usize,
}

/// The server's shared state.
struct Shared {
    config: Config,
    /// `host:port` as clients must name it.
    authorities: Vec<String>,
    /// The origins allowed to post (the server's own).
    origins: Vec<String>,
    run_slot: RunSlot,
    waiting: AtomicUsize,
    /// Each page's run in progress or waiting, so that a newer change of
    /// the page stops the older run (at most one entry per request thread).
    pages: Mutex<HashMap<String, Arc<Job>>>,
    memory: planner::Memory,
}

/// A run in progress: the flag that stops it and why it was set.
#[derive(Default)]
struct Job {
    stop: AtomicBool,
    why: AtomicU8,
}

/// Why a job was stopped.
const SUPERSEDED: u8 = 1;
const TIMED_OUT: u8 = 2;

/// A started server: its address and the handle that stops it.
pub struct Running {
    pub addr: SocketAddr,
    server: Arc<Server>,
    workers: Vec<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Serves until the process ends.
    pub fn wait(self) {
        for w in self.workers {
            let _ = w.join();
        }
    }

    /// Stops accepting and ends the workers (tests).
    pub fn stop(self) {
        self.server.unblock();
        for _ in 0..self.workers.len() {
            self.server.unblock();
        }
        for w in self.workers {
            let _ = w.join();
        }
    }
}

/// A random access token: 32 hex digits from the operating system's
/// entropy (via rand's thread generator, seeded from it).
pub fn new_token() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..16)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

/// Starts the server; an error if the address cannot be bound or a
/// token is missing for a non-loopback address.
pub fn start(config: Config) -> anyhow::Result<Running> {
    if !config.host.is_loopback() && config.token.as_deref().is_none_or(str::is_empty) {
        anyhow::bail!("listening on {} needs an access token", config.host);
    }
    let server = Server::http(SocketAddr::new(config.host, config.port))
        .map_err(|e| anyhow::anyhow!("cannot listen on {}:{}: {e}", config.host, config.port))?;
    let addr = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| anyhow::anyhow!("the server has no IP address"))?;
    let port = addr.port();
    let mut names = vec![addr.ip().to_string()];
    if config.host.is_loopback() {
        names.extend(["127.0.0.1".to_string(), "localhost".to_string()]);
    }
    if addr.ip().is_unspecified() {
        // Any address: clients name it by whatever reaches it; the token
        // is what keeps the door.
        names.clear();
    }
    names.dedup();
    names.sort();
    names.dedup();
    let authorities: Vec<String> = names.iter().map(|n| format!("{n}:{port}")).collect();
    let origins = authorities.iter().map(|a| format!("http://{a}")).collect();
    let shared = Arc::new(Shared {
        config,
        authorities,
        origins,
        run_slot: RunSlot::default(),
        waiting: AtomicUsize::new(0),
        pages: Mutex::new(HashMap::new()),
        memory: planner::Memory::default(),
    });
    let server = Arc::new(server);
    let workers = (0..WORKERS)
        .map(|_| {
            let server = Arc::clone(&server);
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    handle(&shared, request);
                }
            })
        })
        .collect();
    Ok(Running {
        addr,
        server,
        workers,
    })
}

/// An answer: status and JSON (or a page).
struct Answer {
    status: u16,
    body: String,
    content_type: &'static str,
    /// A file name: the answer is a download.
    download: Option<String>,
}

fn json_answer(status: u16, v: &Value) -> Answer {
    Answer {
        status,
        body: v.to_string(),
        content_type: "application/json; charset=utf-8",
        download: None,
    }
}

fn asset(body: &str, content_type: &'static str) -> Answer {
    Answer {
        status: 200,
        body: body.to_string(),
        content_type,
        download: None,
    }
}

fn error(status: u16, message: impl Into<String>) -> Answer {
    json_answer(status, &json!({ "error": message.into() }))
}

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

/// The query parameter `name` of a URL.
fn query<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    url.split_once('?')?
        .1
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A character a token may hold: those a URL carries as they are
/// (RFC 3986's unreserved), so `?token=` needs no decoding.
fn plain_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')
}

/// A token `--token` accepts: 8 to 256 plain characters.
fn token_is_plain(t: &str) -> bool {
    (8..=256).contains(&t.len()) && t.chars().all(plain_token_char)
}

/// Compares two tokens in time independent of where they differ.
fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The door: host, origin and token, before anything is read.
fn admit(shared: &Shared, request: &Request) -> Result<(), Answer> {
    if !shared.authorities.is_empty() {
        let host = header(request, "Host").unwrap_or("");
        if !shared.authorities.iter().any(|a| a == host) {
            return Err(error(
                421,
                format!(
                    "this server answers to {}, not to the host '{host}'",
                    shared.authorities.join(" or ")
                ),
            ));
        }
    }
    if let Some(origin) = header(request, "Origin") {
        let own = match header(request, "Host") {
            Some(h) if shared.authorities.is_empty() => origin == format!("http://{h}"),
            _ => shared.origins.iter().any(|o| o == origin),
        };
        if !own {
            return Err(error(
                403,
                format!("requests from other origins are refused ('{origin}')"),
            ));
        }
    }
    // The page's script and style are the same for everyone and hold no
    // secret: a `<script src>` cannot send the token.
    let path = request.url().split('?').next().unwrap_or("");
    let public = *request.method() == Method::Get
        && path != "/"
        && ASSETS.iter().any(|(p, _, _)| *p == path);
    if let (Some(token), false) = (&shared.config.token, public) {
        let bearer = header(request, "Authorization").and_then(|v| v.strip_prefix("Bearer "));
        let given = bearer.or_else(|| query(request.url(), "token"));
        if !given.is_some_and(|g| same_token(g, token)) {
            return Err(error(
                401,
                "an access token is required: the one iopsim serve printed, as Authorization: Bearer TOKEN or ?token=TOKEN",
            ));
        }
    }
    Ok(())
}

/// The body as text, at most [`MAX_BODY_BYTES`].
fn body(request: &mut Request) -> Result<String, Answer> {
    if request.body_length().is_some_and(|n| n > MAX_BODY_BYTES) {
        return Err(error(
            413,
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    let mut bytes = Vec::new();
    let read = request
        .as_reader()
        .take(MAX_BODY_BYTES as u64 + 1)
        .read_to_end(&mut bytes);
    if read.is_err() {
        return Err(error(400, "the body could not be read"));
    }
    if bytes.len() > MAX_BODY_BYTES {
        return Err(error(
            413,
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    String::from_utf8(bytes).map_err(|_| error(400, "the body is not UTF-8 text"))
}

fn handle(shared: &Shared, mut request: Request) {
    let answer = match admit(shared, &request) {
        Err(a) => a,
        Ok(()) => route(shared, &mut request),
    };
    let mut response = Response::from_string(answer.body).with_status_code(answer.status);
    if let Some(name) = &answer.download {
        let value = format!("attachment; filename=\"{name}\"");
        if let Ok(h) = Header::from_bytes(&b"Content-Disposition"[..], value.as_bytes()) {
            response.add_header(h);
        }
    }
    for (k, v) in [
        ("Content-Type", answer.content_type),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src data: blob:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ] {
        if let Ok(h) = Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            response.add_header(h);
        }
    }
    let _ = request.respond(response);
}

fn route(shared: &Shared, request: &mut Request) -> Answer {
    let url = request.url().to_string();
    let path = url.split('?').next().unwrap_or("").to_string();
    let method = request.method().clone();
    if let Some((_, body, kind)) = ASSETS.iter().find(|(p, _, _)| *p == path) {
        return match method {
            Method::Get => asset(body, kind),
            _ => error(405, "method not allowed here"),
        };
    }
    let page = match page_query(&url) {
        Ok(p) => p,
        Err(a) => return a,
    };
    match (method, path.as_str()) {
        (Method::Get, "/api/scenario") => Answer {
            status: 200,
            body: shared.config.scenario.clone(),
            content_type: "text/plain; charset=utf-8",
            download: None,
        },
        (Method::Get, p) if p.starts_with("/api/results/") => {
            planner::file(shared, &p["/api/results/".len()..])
        }
        (Method::Post, "/api/check") => match body(request) {
            Err(a) => a,
            Ok(text) => match load(&text) {
                Ok(s) => json_answer(200, &json!({ "ok": true, "name": s.name })),
                Err(e) => problems(&e),
            },
        },
        (Method::Post, "/api/levers") => match body(request) {
            Err(a) => a,
            Ok(text) => planner::levers(&text),
        },
        (Method::Post, "/api/run") => {
            let trials = match trials_query(&url, MAX_TRIALS) {
                Ok(t) => t,
                Err(a) => return a,
            };
            match body(request) {
                Err(a) => a,
                // The page's form: JSON with the scenario and its changes.
                // Its trials are a change of the scenario, so that the
                // scenario downloaded reproduces the run.
                Ok(text) if text.trim_start().starts_with('{') && trials.is_some() => error(
                    400,
                    "the page form takes trials as a change of the scenario: \"set\": [\"simulation.trials=N\"], not ?trials=",
                ),
                Ok(text) if text.trim_start().starts_with('{') => {
                    planner::run(shared, &text, page.as_deref())
                }
                Ok(text) => run(shared, &text, trials, page.as_deref()),
            }
        }
        (Method::Post, "/api/size") => match body(request) {
            Err(a) => a,
            Ok(text) => planner::size(shared, &text, page.as_deref()),
        },
        (Method::Post, "/api/compare") => {
            let trials = match trials_query(&url, MAX_TRIALS) {
                Ok(t) => t,
                Err(a) => return a,
            };
            match body(request) {
                Err(a) => a,
                Ok(text) => compare(shared, &text, trials, page.as_deref()),
            }
        }
        (
            _,
            "/api/scenario" | "/api/check" | "/api/levers" | "/api/run" | "/api/size"
            | "/api/compare",
        ) => error(405, "method not allowed here"),
        (_, p) if p.starts_with("/api/results/") => error(405, "method not allowed here"),
        _ => error(404, format!("no such page: {path}")),
    }
}

/// The `page` query parameter: the page a run is for, so that its newer
/// change stops its older run. Letters, digits, `-` and `_`, at most 64.
fn page_query(url: &str) -> Result<Option<String>, Answer> {
    match query(url, "page") {
        None => Ok(None),
        Some(p)
            if !p.is_empty()
                && p.len() <= 64
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(Some(p.to_string()))
        }
        Some(_) => Err(error(
            400,
            "page must be 1 to 64 letters, digits, '-' or '_'",
        )),
    }
}

/// The `trials` query parameter, if given: 1 to `max`.
fn trials_query(url: &str, max: u32) -> Result<Option<u32>, Answer> {
    match query(url, "trials").map(str::parse::<u32>) {
        None => Ok(None),
        Some(Ok(t)) if (1..=max).contains(&t) => Ok(Some(t)),
        Some(_) => Err(error(
            400,
            format!("trials must be a whole number from 1 to {max}"),
        )),
    }
}

/// The one run at a time. A waiting request watches its own stop flag,
/// so a page's newer change frees the older request at once rather than
/// after the runs ahead of it.
#[derive(Default)]
struct RunSlot {
    busy: Mutex<bool>,
    freed: Condvar,
}

/// Holds the run slot; dropping it lets the next request in.
struct SlotGuard<'a>(&'a RunSlot);

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        *self.0.busy.lock().unwrap_or_else(|p| p.into_inner()) = false;
        self.0.freed.notify_all();
    }
}

impl RunSlot {
    /// Waits for the slot; `None` when `stop` was set while waiting.
    fn take(&self, stop: &AtomicBool) -> Option<SlotGuard<'_>> {
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if stop.load(Ordering::SeqCst) {
                return None;
            }
            if !*busy {
                *busy = true;
                return Some(SlotGuard(self));
            }
            // Superseding does not notify: look at the flag every 10 ms.
            busy = self
                .freed
                .wait_timeout(busy, Duration::from_millis(10))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// Takes the run slot, or tells the client the queue is full (503) or
/// that a newer change of its page replaced it while it waited (409).
/// A request that replaced its page's older one takes that one's place:
/// it may wait up to `REPLACING` for the older to leave the line.
fn queue<'a>(
    shared: &'a Shared,
    stop: &AtomicBool,
    replacing: bool,
) -> Result<SlotGuard<'a>, Answer> {
    const REPLACING: Duration = Duration::from_millis(200);
    let asked = Instant::now();
    while shared.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_WAITING {
        shared.waiting.fetch_sub(1, Ordering::SeqCst);
        if !replacing || asked.elapsed() >= REPLACING || stop.load(Ordering::SeqCst) {
            return Err(error(
                503,
                "busy: too many runs waiting; try again in a moment",
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let guard = shared.run_slot.take(stop);
    shared.waiting.fetch_sub(1, Ordering::SeqCst);
    guard.ok_or_else(superseded)
}

/// Runs `work` as a job: in the queue, one at a time, stopped by the time
/// limit or, when it is for a `page`, by that page's next request (the
/// newer change wins). `work` gets the stop flag to pass to its runs.
fn guarded<T>(
    shared: &Shared,
    page: Option<&str>,
    work: impl FnOnce(&AtomicBool) -> anyhow::Result<T>,
) -> Result<T, Answer> {
    let job = Arc::new(Job::default());
    let mut replacing = false;
    if let Some(p) = page {
        let mut pages = shared.pages.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(older) = pages.insert(p.to_string(), Arc::clone(&job)) {
            older.why.store(SUPERSEDED, Ordering::SeqCst);
            older.stop.store(true, Ordering::SeqCst);
            replacing = true;
        }
    }
    let result = (|| {
        let guard = queue(shared, &job.stop, replacing)?;
        let done = Arc::new(AtomicBool::new(false));
        let watchdog = {
            let (job, done) = (Arc::clone(&job), Arc::clone(&done));
            std::thread::spawn(move || {
                let started = Instant::now();
                while !done.load(Ordering::Relaxed) && !job.stop.load(Ordering::Relaxed) {
                    if started.elapsed() >= TIME_LIMIT {
                        job.why.store(TIMED_OUT, Ordering::SeqCst);
                        job.stop.store(true, Ordering::SeqCst);
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
            })
        };
        let result = work(&job.stop);
        done.store(true, Ordering::Relaxed);
        let _ = watchdog.join();
        drop(guard);
        result.map_err(|e| match job.why.load(Ordering::SeqCst) {
            SUPERSEDED => superseded(),
            TIMED_OUT => error(
                503,
                format!(
                    "the run took longer than {} s and was stopped ({e}); ask for fewer trials",
                    TIME_LIMIT.as_secs()
                ),
            ),
            _ => error(422, format!("{e:#}")),
        })
    })();
    if let Some(p) = page {
        let mut pages = shared.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.get(p).is_some_and(|j| Arc::ptr_eq(j, &job)) {
            pages.remove(p);
        }
    }
    result
}

fn superseded() -> Answer {
    json_answer(
        409,
        &json!({ "error": "stopped: a newer change from the same page replaced this run", "superseded": true }),
    )
}

/// A paired comparison of two scenarios sent as JSON, on common random
/// numbers (the baseline's seed and trials), through the same code as
/// `iopsim compare`.
fn compare(shared: &Shared, text: &str, trials: Option<u32>, page: Option<&str>) -> Answer {
    use crate::decide::compare::plan;
    use crate::decide::request::{CompareRequest, RunSettings, ScenarioSource};
    let parsed: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return error(
                400,
                format!("expected JSON {{\"baseline\": TOML, \"alternative\": TOML}}: {e}"),
            )
        }
    };
    let mut sources = Vec::new();
    for key in ["baseline", "alternative"] {
        let Some(toml) = parsed.get(key).and_then(Value::as_str) else {
            return error(400, format!("'{key}' is missing or not a string of TOML"));
        };
        // The door of a run: problems first, and no files.
        match load(toml) {
            Ok(s) if trials.is_none() && s.simulation.trials > MAX_TRIALS => {
                return error(
                    400,
                    format!(
                        "the {key} asks for {} trials; the planner runs at most {MAX_TRIALS} (give ?trials=)",
                        s.simulation.trials
                    ),
                )
            }
            Ok(_) => {}
            Err(e) => {
                return json_answer(
                    422,
                    &json!({ "error": format!("the {key} has problems"), "problems": problem_list(&e) }),
                )
            }
        }
        sources.push(ScenarioSource::Text {
            origin: format!("the {key} sent"),
            toml: toml.to_string(),
        });
    }
    let req = CompareRequest {
        scenarios: sources,
        run: RunSettings {
            trials,
            threads: shared.config.threads,
            quiet: true,
            ..RunSettings::default()
        },
        output: Default::default(),
    };
    let plan = match plan(&req) {
        Ok(p) => p,
        Err(e) => return error(422, format!("{e:#}")),
    };
    let started = Instant::now();
    let c = match guarded(shared, page, |stop| plan.run_until(stop)) {
        Ok(c) => c,
        Err(a) => return a,
    };
    let rows: Vec<Value> = c
        .comparison
        .rows
        .iter()
        .map(|r| {
            let (verdict, _) = crate::decide::page::verdict(r.direction, &r.paired);
            json!({
                "metric": r.metric,
                "baseline": finite(r.paired.base_mean),
                "alternative": finite(r.paired.alt_mean),
                "difference": finite(r.paired.diff.mean),
                "ci95": [finite(r.paired.diff.ci95_low), finite(r.paired.diff.ci95_high)],
                "share_better": finite(r.paired.share_better),
                "verdict": verdict,
            })
        })
        .collect();
    json_answer(
        200,
        &json!({
            "labels": c.comparison.labels,
            "trials": c.comparison.trials,
            "seed": c.comparison.seed,
            "seconds": started.elapsed().as_secs_f64(),
            "rows": rows,
            "not_compared": c.comparison.not_compared,
        }),
    )
}

/// Loads a scenario sent in a request. Nothing a request says may reach
/// the file system, so a scenario that names a file (`[initial]
/// patients_csv`) is refused before it is read.
fn load(text: &str) -> Result<scenario::Scenario, ScenarioError> {
    const ORIGIN: &str = "the scenario sent";
    if let Ok(doc) = text.parse::<toml::Table>() {
        let names_file = doc
            .get("initial")
            .and_then(toml::Value::as_table)
            .is_some_and(|t| t.contains_key("patients_csv"));
        if names_file {
            return Err(ScenarioError::Invalid {
                origin: ORIGIN.to_string(),
                problems: vec![scenario::Problem::new(
                    "initial.patients_csv",
                    "the planner reads no files: put the rows in [[initial.patients]] tables instead",
                )],
            });
        }
    }
    scenario::load_str(text, ORIGIN, &[])
}

fn problem_list(e: &ScenarioError) -> Vec<String> {
    match e {
        ScenarioError::Invalid { problems, .. } => {
            problems.iter().map(ToString::to_string).collect()
        }
        other => vec![other.to_string()],
    }
}

fn problems(e: &ScenarioError) -> Answer {
    json_answer(
        422,
        &json!({ "error": "the scenario has problems", "problems": problem_list(e) }),
    )
}

/// Runs a scenario, one run at a time, within the time limit.
fn run(shared: &Shared, text: &str, trials: Option<u32>, page: Option<&str>) -> Answer {
    let mut s = match load(text) {
        Ok(s) => s,
        Err(e) => return problems(&e),
    };
    if let Some(t) = trials {
        s.simulation.trials = t;
    }
    if s.simulation.trials > MAX_TRIALS {
        return error(
            400,
            format!(
                "{} trials; the planner runs at most {MAX_TRIALS}",
                s.simulation.trials
            ),
        );
    }
    let started = Instant::now();
    let threads = shared.config.threads;
    match guarded(shared, page, |stop| {
        trials::run_until(
            &s,
            &RunOptions { threads },
            stop,
            &mut |_, _| Ok(()),
            &mut |_| {},
        )
    }) {
        Ok(r) => json_answer(200, &results_json(&r, started.elapsed())),
        Err(a) => a,
    }
}

fn results_json(r: &RunResults, took: Duration) -> Value {
    json!({
        "scenario": r.scenario_name,
        "trials": r.trials,
        "weeks": r.weeks,
        "seed": r.seed,
        "seconds": took.as_secs_f64(),
        "metrics": metrics_json(r),
    })
}

/// Every metric's summary over the trials, as summary.csv has them.
fn metrics_json(r: &RunResults) -> Vec<Value> {
    r.summary_names
        .iter()
        .zip(&r.summary)
        .map(|(name, s)| {
            json!({
                "name": name,
                "mean": finite(s.mean),
                "ci95": [finite(s.ci95_low), finite(s.ci95_high)],
                "p5": finite(s.p5),
                "p50": finite(s.p50),
                "p95": finite(s.p95),
            })
        })
        .collect()
}

/// JSON has no NaN or infinity: those become null.
fn finite(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else {
        Value::Null
    }
}

/// The scenario `iopsim serve` starts with: the file, or the default.
pub fn scenario_text(path: Option<&PathBuf>) -> anyhow::Result<(String, String)> {
    match path {
        Some(p) => {
            scenario::load_file(p, &[])?;
            let text = scenario::read_capped(p, scenario::limits::MAX_SCENARIO_FILE_BYTES)?;
            Ok((text, p.display().to_string()))
        }
        None => Ok((
            DEFAULT_TOML.to_string(),
            "the built-in default scenario".to_string(),
        )),
    }
}

/// The page, its script and its style: plain HTML, CSS and a small
/// script, all in the binary (no network, no CDN, no web font).
const ASSETS: [(&str, &str, &str); 3] = [
    (
        "/",
        include_str!("page/index.html"),
        "text/html; charset=utf-8",
    ),
    (
        "/planner.js",
        include_str!("page/planner.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "/planner.css",
        include_str!("page/planner.css"),
        "text/css; charset=utf-8",
    ),
];

/// `iopsim serve`.
pub fn command(args: &crate::cli::ServeArgs) -> anyhow::Result<()> {
    let (scenario, origin) = scenario_text(args.scenario.as_ref())?;
    let token = match &args.token {
        Some(t) if !token_is_plain(t) => {
            return Err(crate::commands::UsageError {
                option: "--token".into(),
                message: format!(
                    "must be 8 to 256 letters, digits, '-', '_', '.' or '~' (it travels in the page's address), got {} characters{}",
                    t.chars().count(),
                    t.chars()
                        .find(|c| !plain_token_char(*c))
                        .map(|c| format!(" including {c:?}"))
                        .unwrap_or_default()
                ),
            }
            .into())
        }
        Some(t) => Some(t.clone()),
        None if !args.host.is_loopback() => Some(new_token()),
        None => None,
    };
    let running = start(Config {
        scenario,
        origin: origin.clone(),
        host: args.host,
        port: args.port,
        token: token.clone(),
        threads: args.threads,
    })?;
    let shown = if running.addr.ip().is_unspecified() {
        SocketAddr::new(IpAddr::from([127, 0, 0, 1]), running.addr.port())
    } else {
        running.addr
    };
    match &token {
        Some(t) => println!("iopsim planner at http://{shown}/?token={t} (scenario: {origin})"),
        None => println!("iopsim planner at http://{shown}/ (scenario: {origin})"),
    }
    if token.is_some() && args.token.is_none() {
        println!(
            "access token (generated): {}",
            token.as_deref().unwrap_or("")
        );
    }
    println!("stop with Ctrl-C");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    running.wait();
    Ok(())
}
