//! The planner's latency, as a person meets it: from a changed lever to
//! the updated figures, for the default scenario at 1,000 trials (the
//! page's default), in headless Chromium against `iopsim serve --threads 2`.
//! The target of issue 22 is under 0.3 s; it is reported, not asserted
//! (a busy machine is not a failure).
//!
//! The page measures each update itself (`window.iopsimTimings`, filled by
//! planner.js): `total` from the change event to the figures drawn, `wait`
//! before the request leaves, `server` the server's time for the request
//! (the run and drawing its charts), `network` the rest of the request
//! (sending, the JSON answer's transfer and parse), `draw` the page putting
//! the answer on screen (its DOM; the browser's layout and paint follow).
//! This bench adds `frame`: from the change to the end of the first frame
//! after the figures were drawn (one `requestAnimationFrame` then a task),
//! so layout and paint of the new charts are in it too. It then asks the
//! server directly, without a browser, for the same runs to split the
//! server's time into the run and the rest (charts, key figures).
//!
//! Run: `cargo bench --bench planner` (30 changes), or `cargo bench --bench
//! planner -- --test` for one short round (3 changes). Needs chromium and
//! chromedriver: without them it prints SKIPPED, or fails when `CI` is set.
//! Figures: docs/performance.md.

mod common {
    #[path = "../../tests/common/browser.rs"]
    pub mod browser;
    #[path = "../../tests/common/serve.rs"]
    pub mod serve;
    #[path = "../../tests/common/webdriver.rs"]
    pub mod webdriver;
}

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use common::serve::serve;
use common::webdriver::{read_response, Driver};
use serde_json::{json, Value};

/// The lever changed back and forth, and the one that makes room for it.
const EVENING_GROUPS: &str = "#lever-units_iop_tracks_evening_groups";
const ROOMS: &str = "#lever-rooms_group-room_count";
/// The issue's target for the median change-to-figures time.
const TARGET_MS: f64 = 300.0;

/// One request to the server; (status, body).
fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let (status, bytes) = read_response(&mut BufReader::new(s)).unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// Changes the lever `css` to `value` as the page's own control would
/// (its value, then a `change` event) and waits for the page to show the
/// run: its timing entry, with `frame_ms` added, or the page's error.
const CHANGE: &str = r#"
var css = arguments[0], value = arguments[1], done = arguments[arguments.length - 1];
var input = document.querySelector(css);
if (!input) { done({ error: 'no element ' + css }); return; }
var n = window.iopsimTimings.length;
var body = document.querySelector('#figures tbody');
var finished = false;
function finish(v) { if (!finished) { finished = true; observer.disconnect(); clearInterval(watch); done(v); } }
// show() refills the figures and then records its timing, in one task:
// the observer runs right after it.
var observer = new MutationObserver(function () {
  if (window.iopsimTimings.length <= n) { return; }
  var t = Object.assign({}, window.iopsimTimings[window.iopsimTimings.length - 1]);
  observer.disconnect();
  var guard = setTimeout(function () { t.frame_ms = null; finish({ timing: t }); }, 2000);
  requestAnimationFrame(function () {
    setTimeout(function () {
      clearTimeout(guard);
      t.frame_ms = performance.now() - changedAt;
      finish({ timing: t });
    }, 0);
  });
});
observer.observe(body, { childList: true });
var watch = setInterval(function () {
  var s = document.getElementById('status');
  if (s.className === 'error') { finish({ error: s.textContent }); }
}, 50);
var changedAt = performance.now();
input.value = value;
input.dispatchEvent(new Event('change', { bubbles: true }));
"#;

/// One update as the page measured it, in milliseconds.
#[derive(Debug, Clone, Copy)]
struct Timing {
    total: f64,
    wait: f64,
    server: f64,
    network: f64,
    draw: f64,
    frame: Option<f64>,
}

fn change(s: &common::webdriver::Session, css: &str, value: &str) -> Timing {
    let v = s.execute_async(CHANGE, vec![json!(css), json!(value)]);
    if let Some(e) = v.get("error") {
        panic!("changing {css} to {value}: {e}");
    }
    let t = &v["timing"];
    let ms = |k: &str| {
        t[k].as_f64()
            .unwrap_or_else(|| panic!("no {k} in the page's timing {t}"))
    };
    Timing {
        total: ms("total_ms"),
        wait: ms("wait_ms"),
        server: ms("server_ms"),
        network: ms("network_ms"),
        draw: ms("draw_ms"),
        frame: t["frame_ms"].as_f64(),
    }
}

/// Median, P90 (nearest rank) and max.
fn stats(mut xs: Vec<f64>) -> Option<(f64, f64, f64)> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    let median = if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    };
    let p90 = xs[((0.9 * n as f64).ceil() as usize).clamp(1, n) - 1];
    Some((median, p90, xs[n - 1]))
}

fn row(name: &str, xs: Vec<f64>) {
    match stats(xs) {
        Some((m, p, x)) => println!("{name:<28} {m:>8.1} {p:>8.1} {x:>8.1}"),
        None => println!("{name:<28} {:>8} {:>8} {:>8}", "n/a", "n/a", "n/a"),
    }
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn version(program: &str) -> String {
    Command::new(program)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--test");
    let rounds = if smoke { 3 } else { 30 };
    let Some(driver) = Driver::start() else {
        if std::env::var_os("CI").is_some() {
            eprintln!(
                "planner bench: chromium or chromedriver is not installed; CI needs both (.ci/run installs them)"
            );
            std::process::exit(1);
        }
        println!("planner bench: SKIPPED (chromium or chromedriver is not installed)");
        return;
    };
    let load_before = load_average();
    let server = serve(&[]);
    let session = driver.session(1366, 900);
    session.goto(&format!("http://127.0.0.1:{}/", server.port));
    session.wait_for(
        "the page's first run",
        "var s = document.getElementById('status');
         if (s && s.className === 'error') { return 'error: ' + s.textContent; }
         return document.body.dataset.run || '';",
        Duration::from_secs(60),
    );
    if let Some(e) = session
        .execute(
            "var s = document.getElementById('status'); return s.className === 'error' ? s.textContent : null;",
            vec![],
        )
        .as_str()
    {
        panic!("the page could not run the scenario: {e}");
    }
    let trials = session.execute("return document.getElementById('trials').value", vec![]);
    // Room for a second evening group (also the warm-up: not counted).
    change(&session, ROOMS, "2");

    let started = Instant::now();
    let timings: Vec<Timing> = (0..rounds)
        .map(|i| change(&session, EVENING_GROUPS, if i % 2 == 0 { "2" } else { "1" }))
        .collect();
    let browser_seconds = started.elapsed().as_secs_f64();
    for t in &timings {
        assert!(
            t.total > 0.0 && t.server > 0.0 && t.draw >= 0.0 && t.total >= t.server,
            "a timing that cannot be: {t:?}"
        );
    }

    // The same runs without a browser: the server's time split into the
    // run and the rest, and the client's wall time for the whole request.
    let (code, scenario) = http(server.port, "GET", "/api/scenario", "");
    assert_eq!(code, 200, "{scenario}");
    let trials_set = format!("simulation.trials={}", trials.as_str().unwrap_or("1000"));
    let direct: Vec<(f64, f64, f64)> = (0..rounds)
        .map(|i| {
            let groups = if i % 2 == 0 { "2" } else { "1" };
            let body = json!({
                "scenario": scenario,
                "set": [
                    format!("units.iop.tracks.evening.groups={groups}"),
                    "rooms.group-room.count=2",
                    trials_set,
                ],
            })
            .to_string();
            let sent = Instant::now();
            let (code, text) = http(server.port, "POST", "/api/run?page=bench", &body);
            let wall = sent.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(code, 200, "{text}");
            let v: Value = serde_json::from_str(&text).unwrap();
            let run = v["seconds"].as_f64().unwrap() * 1000.0;
            let total = v["seconds_total"].as_f64().unwrap() * 1000.0;
            (run, total - run, wall)
        })
        .collect();
    let load_after = load_average();

    println!();
    println!(
        "planner latency: the default scenario at {} trials, {rounds} changes of the evening groups (2 <-> 1), iopsim serve --threads 2{}",
        trials.as_str().unwrap_or("?"),
        if smoke { " (smoke round: --test)" } else { "" }
    );
    println!(
        "machine: {} cores (nproc), {}; {}; {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cpu_model(),
        version("chromium"),
        version("chromedriver"),
    );
    println!("load average (1, 5, 15 min): {load_before} before, {load_after} after");
    println!();
    println!(
        "{:<28} {:>8} {:>8} {:>8}",
        "in the page (ms)", "median", "P90", "max"
    );
    let col = |f: fn(&Timing) -> f64| timings.iter().map(f).collect::<Vec<_>>();
    row("total: change to figures", col(|t| t.total));
    row("  wait before sending", col(|t| t.wait));
    row("  server", col(|t| t.server));
    row("  network", col(|t| t.network));
    row("  draw", col(|t| t.draw));
    row(
        "change to next frame",
        timings.iter().filter_map(|t| t.frame).collect(),
    );
    println!();
    println!(
        "{:<28} {:>8} {:>8} {:>8}",
        "without a browser (ms)", "median", "P90", "max"
    );
    row("server: the run", direct.iter().map(|d| d.0).collect());
    row(
        "server: charts, figures",
        direct.iter().map(|d| d.1).collect(),
    );
    row(
        "client: whole request",
        direct.iter().map(|d| d.2).collect(),
    );
    println!();
    let (median, _, _) = stats(col(|t| t.total)).unwrap();
    println!(
        "target: median change-to-figures under {TARGET_MS:.0} ms: {} ({median:.0} ms; {rounds} changes in {browser_seconds:.1} s)",
        if median < TARGET_MS { "met" } else { "NOT met" }
    );
}
