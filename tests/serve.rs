//! `iopsim serve` over HTTP, as a browser or a script would meet it: the
//! page and the API answer; malformed, oversized and invalid requests get
//! a clear error; other origins, other host names and, beyond loopback,
//! requests without the token are refused; 50 clients at once are all
//! answered and the server stays up.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

use common::serve::serve;
use std::time::Duration;

/// An answer as it came: status, headers and body bytes.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    /// The header `name` (any case), if present.
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

/// One request; the whole answer (a chunked body is put back together).
fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("Host")) {
        head.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    // A server may answer (413) before reading a large body, and close.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {:?}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut reply = Reply {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    };
    if reply
        .header("Transfer-Encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        reply.body = dechunk(&reply.body);
    }
    reply
}

/// A chunked body (RFC 9112, 7.1) without its framing.
fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size line");
        let size = std::str::from_utf8(&b[..eol]).unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        b = &b[eol + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

/// One request; (status, body).
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let r = request(port, method, path, headers, body);
    (r.status, r.text())
}

/// A JSON request to the page's API; (status, the answer's JSON).
fn post_json(port: u16, path: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let r = request(port, "POST", path, &[], body.to_string().as_bytes());
    (r.status, r.json())
}

/// [`post_json`] on a thread of its own; the answer and how long it took.
fn post_json_behind(
    port: u16,
    path: String,
    body: serde_json::Value,
) -> std::thread::JoinHandle<((u16, serde_json::Value), Duration)> {
    std::thread::spawn(move || {
        let t = std::time::Instant::now();
        let answer = post_json(port, &path, &body);
        (answer, t.elapsed())
    })
}

fn default_toml() -> &'static str {
    iopsim::scenario::DEFAULT_TOML
}

#[test]
fn the_page_and_the_api_answer() {
    let s = serve(&[]);
    assert!(
        s.banner.starts_with("iopsim planner at http://127.0.0.1:"),
        "{}",
        s.banner
    );
    let (code, page) = http(s.port, "GET", "/", &[], b"");
    assert_eq!(code, 200);
    assert!(page.contains("<title>iopsim planner</title>"));
    // Every asset is in the page: no address of another site.
    assert!(
        !page.contains("https://") && !page.contains("http://"),
        "external asset"
    );
    let (code, text) = http(s.port, "GET", "/api/scenario", &[], b"");
    assert_eq!(code, 200);
    assert_eq!(text, default_toml());

    let (code, json) = http(
        s.port,
        "POST",
        "/api/run?trials=200",
        &[],
        default_toml().as_bytes(),
    );
    assert_eq!(code, 200, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["trials"], 200);
    let p90 = v["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "iop.wait_days_p90")
        .unwrap();
    // The same figure as `iopsim run` gives for the same trials and seed.
    let tmp = tempfile::tempdir().unwrap();
    assert!(Command::new(env!("CARGO_BIN_EXE_iopsim"))
        .args(["run", "--trials", "200", "--no-plots", "-q", "--out"])
        .arg(tmp.path())
        .status()
        .unwrap()
        .success());
    let summary =
        std::fs::read_to_string(tmp.path().join("midsize-adult-iop/summary.csv")).unwrap();
    let row = summary
        .lines()
        .find(|l| l.starts_with("iop.wait_days_p90,"))
        .unwrap();
    let cols: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let p50_at = cols.iter().position(|c| *c == "p50").unwrap();
    let from_run: f64 = row.split(',').nth(p50_at).unwrap().parse().unwrap();
    // summary.csv writes six decimals.
    let served = p90["p50"].as_f64().unwrap();
    assert!((served - from_run).abs() < 1e-6, "{served} vs {from_run}");

    let (code, json) = http(s.port, "POST", "/api/check", &[], default_toml().as_bytes());
    assert_eq!(
        (code, json.as_str()),
        (200, r#"{"name":"midsize-adult-iop","ok":true}"#)
    );
}

/// The default with a second evening group (and a room for it).
fn two_evening_groups() -> String {
    const EVENING: &str = "groups = 1\ngroup_size = 12\nroom = \"group-room\"\nshare = 0.6";
    assert_eq!(default_toml().matches(EVENING).count(), 1);
    default_toml()
        .replacen("name = \"midsize-adult-iop\"", "name = \"two-evening\"", 1)
        .replacen(EVENING, &EVENING.replace("groups = 1", "groups = 2"), 1)
        .replacen("seats = 14", "count = 2\nseats = 14", 1)
}

#[test]
fn a_paired_comparison_gives_iopsim_compares_figures() {
    let s = serve(&[]);
    let alt = two_evening_groups();
    let body = serde_json::json!({ "baseline": default_toml(), "alternative": alt }).to_string();
    let (code, json) = http(
        s.port,
        "POST",
        "/api/compare?trials=60",
        &[],
        body.as_bytes(),
    );
    assert_eq!(code, 200, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["labels"],
        serde_json::json!(["midsize-adult-iop", "two-evening"])
    );
    let row = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == "iop.wait_days_p90")
        .unwrap()
        .clone();
    assert_eq!(row["verdict"], "better", "{row}");

    // The same two files through `iopsim compare`.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("a.toml"), default_toml()).unwrap();
    std::fs::write(tmp.path().join("b.toml"), &alt).unwrap();
    assert!(Command::new(env!("CARGO_BIN_EXE_iopsim"))
        .current_dir(tmp.path())
        .args([
            "compare",
            "a.toml",
            "b.toml",
            "--trials",
            "60",
            "--no-plots",
            "-q"
        ])
        .status()
        .unwrap()
        .success());
    let dir = std::fs::read_dir(tmp.path().join("output"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let csv = std::fs::read_to_string(dir.join("compare.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let line: Vec<&str> = csv
        .lines()
        .find(|l| l.contains(",iop.wait_days_p90,"))
        .unwrap()
        .split(',')
        .collect();
    let col = |name: &str| -> f64 {
        line[header.iter().position(|h| *h == name).unwrap()]
            .parse()
            .unwrap()
    };
    for (json_key, csv_key) in [
        ("difference", "diff_mean"),
        ("baseline", "baseline_mean"),
        ("alternative", "alternative_mean"),
    ] {
        let served = row[json_key].as_f64().unwrap();
        assert!(
            (served - col(csv_key)).abs() < 1e-6,
            "{json_key}: {served} vs {}",
            col(csv_key)
        );
    }
    assert!((row["ci95"][1].as_f64().unwrap() - col("diff_ci95_high")).abs() < 1e-6);

    // Bad comparisons.
    for (body, want, words) in [
        ("not json".to_string(), 400, "expected JSON"),
        (
            serde_json::json!({ "baseline": default_toml() }).to_string(),
            400,
            "'alternative' is missing",
        ),
        (
            serde_json::json!({ "baseline": default_toml(), "alternative": "name = [" })
                .to_string(),
            422,
            "the alternative has problems",
        ),
    ] {
        let (code, text) = http(
            s.port,
            "POST",
            "/api/compare?trials=10",
            &[],
            body.as_bytes(),
        );
        assert_eq!(code, want, "{text}");
        assert!(text.contains(words), "{text}");
    }
    let (code, text) = http(
        s.port,
        "POST",
        "/api/compare?trials=20001",
        &[],
        body.as_bytes(),
    );
    assert_eq!(code, 400, "{text}");
}

#[test]
fn bad_requests_get_clear_errors() {
    let s = serve(&[]);
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "POST",
            "/api/run",
            b"name = [".to_vec(),
            422,
            "the scenario has problems",
        ),
        (
            "POST",
            "/api/run",
            b"name = 3".to_vec(),
            422,
            "expected a name in quotes",
        ),
        ("POST", "/api/run", vec![0xff, 0xfe, 0x00], 400, "not UTF-8"),
        (
            "POST",
            "/api/run",
            vec![b'a'; 2 << 20],
            413,
            "larger than 1048576 bytes",
        ),
        (
            "POST",
            "/api/run?trials=0",
            default_toml().as_bytes().to_vec(),
            400,
            "trials must be",
        ),
        (
            "POST",
            "/api/run?trials=x",
            default_toml().as_bytes().to_vec(),
            400,
            "trials must be",
        ),
        (
            "POST",
            "/api/run?trials=99999",
            default_toml().as_bytes().to_vec(),
            400,
            "trials must be",
        ),
        (
            "POST",
            "/api/run",
            format!(
                "{}\n[initial]\npatients_csv = \"/etc/passwd\"\n",
                default_toml().replace("warmup_weeks = 26", "warmup_weeks = 0")
            )
            .into_bytes(),
            422,
            "initial.patients_csv: the planner reads no files",
        ),
        ("GET", "/api/run", Vec::new(), 405, "method not allowed"),
        ("GET", "/etc/passwd", Vec::new(), 404, "no such page"),
        ("GET", "/../../etc/passwd", Vec::new(), 404, "no such page"),
    ];
    for (method, path, body, want, words) in cases {
        let (code, text) = http(s.port, method, path, &[], &body);
        assert_eq!(code, want, "{method} {path}: {text}");
        assert!(text.contains(words), "{method} {path}: {text}");
    }
    // Garbage instead of HTTP: the server shrugs and goes on.
    let mut raw = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    raw.write_all(b"\x00\x01 not http at all\r\n\r\n").unwrap();
    drop(raw);
    assert_eq!(http(s.port, "GET", "/", &[], b"").0, 200);
}

#[test]
fn other_origins_and_host_names_are_refused() {
    let s = serve(&[]);
    let body = default_toml().as_bytes();
    let (code, text) = http(
        s.port,
        "POST",
        "/api/run?trials=10",
        &[("Origin", "http://evil.example")],
        body,
    );
    assert_eq!(code, 403, "{text}");
    assert!(text.contains("other origins are refused"));
    let (code, text) = http(s.port, "GET", "/", &[("Host", "evil.example")], b"");
    assert_eq!(code, 421, "{text}");
    // Its own origin is welcome.
    let own = format!("http://127.0.0.1:{}", s.port);
    let (code, _) = http(
        s.port,
        "POST",
        "/api/run?trials=10",
        &[("Origin", own.as_str())],
        body,
    );
    assert_eq!(code, 200);
}

#[test]
fn beyond_loopback_a_token_is_required() {
    let s = serve(&["--host", "0.0.0.0"]);
    let token = s
        .banner
        .split("?token=")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .unwrap_or_else(|| panic!("no token in {}", s.banner))
        .to_string();
    assert_eq!(token.len(), 32);
    let (code, text) = http(s.port, "GET", "/", &[], b"");
    assert_eq!(code, 401, "{text}");
    assert!(text.contains("access token is required"));
    let (code, _) = http(
        s.port,
        "GET",
        "/",
        &[("Authorization", "Bearer wrong")],
        b"",
    );
    assert_eq!(code, 401);
    let bearer = format!("Bearer {token}");
    let (code, _) = http(
        s.port,
        "GET",
        "/",
        &[("Authorization", bearer.as_str())],
        b"",
    );
    assert_eq!(code, 200);
    let (code, _) = http(s.port, "GET", &format!("/?token={token}"), &[], b"");
    assert_eq!(code, 200);
    // A token given is the one used.
    let t = serve(&["--host", "0.0.0.0", "--token", "given-token-123"]);
    assert!(t.banner.contains("?token=given-token-123"));
    let (code, _) = http(
        t.port,
        "GET",
        "/",
        &[("Authorization", "Bearer given-token-123")],
        b"",
    );
    assert_eq!(code, 200);
    // A token given travels in the page's address as it is: one that
    // would need encoding, or is too short to guard anything, is refused
    // before the server starts.
    for bad in ["a+b/c%2Fdefgh", "short", "with space inside"] {
        let out = Command::new(env!("CARGO_BIN_EXE_iopsim"))
            .args(["serve", "--port", "0", "--host", "0.0.0.0", "--token", bad])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--token"), "{err}");
        assert!(err.contains("letters, digits"), "{err}");
        assert!(out.stdout.is_empty(), "{bad}: started anyway");
    }
}

#[test]
fn fifty_clients_at_once_are_all_answered() {
    let s = serve(&[]);
    let port = s.port;
    let clients: Vec<_> = (0..50)
        .map(|i| {
            std::thread::spawn(move || {
                if i % 5 == 0 {
                    http(port, "POST", "/api/run", &[], b"name = [")
                } else if i % 5 == 1 {
                    http(port, "GET", "/", &[], b"")
                } else {
                    http(
                        port,
                        "POST",
                        "/api/run?trials=100",
                        &[],
                        default_toml().as_bytes(),
                    )
                }
            })
        })
        .collect();
    let mut codes = std::collections::BTreeMap::new();
    for c in clients {
        let (code, body) = c.join().unwrap();
        assert!([200, 422, 503].contains(&code), "{code}: {body}");
        if code == 503 {
            assert!(body.contains("busy"), "{body}");
        }
        *codes.entry(code).or_insert(0) += 1;
    }
    assert_eq!(codes.get(&422), Some(&10), "{codes:?}");
    assert!(codes.get(&200).copied().unwrap_or(0) >= 10 + 9, "{codes:?}");
    // Still up.
    assert_eq!(http(port, "GET", "/", &[], b"").0, 200);
}

// --- The planner's API -----------------------------------------------------

/// The page form of `/api/run`: the default with `sets`.
fn page_run(sets: &[&str]) -> serde_json::Value {
    serde_json::json!({ "scenario": default_toml(), "set": sets })
}

/// The lever `key` of a `/api/levers` answer.
fn lever<'a>(levers: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    levers["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["levers"].as_array().unwrap())
        .find(|l| l["key"] == key)
        .unwrap_or_else(|| panic!("no lever {key} in {levers}"))
}

/// `/api/levers` gives the default's levers with their kinds and values,
/// and a scenario that does not load its problems (422).
#[test]
fn the_levers_of_a_scenario_and_of_a_broken_one() {
    let s = serve(&[]);
    let r = request(
        s.port,
        "POST",
        "/api/levers",
        &[],
        default_toml().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["name"], "midsize-adult-iop");
    assert_eq!(v["trials"], 1000);
    let evening = lever(&v, "units.iop.tracks.evening.groups");
    assert_eq!(evening["kind"], "int", "{evening}");
    assert_eq!(evening["value"], 1, "{evening}");
    assert_eq!(evening["label"], "evening groups", "{evening}");
    assert_eq!(evening["step"], 1, "{evening}");
    let days = lever(&v, "units.iop.tracks.morning.days");
    assert_eq!(days["kind"], "days", "{days}");
    assert_eq!(days["value"], serde_json::json!(["mon", "tue", "thu"]));
    assert_eq!(lever(&v, "units.iop.tracks.morning.start")["kind"], "time");
    assert_eq!(lever(&v, "units.iop.attendance")["kind"], "share");

    let r = request(s.port, "POST", "/api/levers", &[], b"name = [");
    assert_eq!(r.status, 422, "{}", r.text());
    let v = r.json();
    assert_eq!(v["error"], "the scenario has problems");
    let problems = v["problems"].as_array().unwrap();
    assert!(!problems.is_empty());
    assert!(problems[0].as_str().unwrap().contains("line 1"), "{v}");
    assert_eq!(
        http(s.port, "GET", "/api/levers", &[], b"").0,
        405,
        "levers are asked for with the scenario's text"
    );
}

/// The page form runs the scenario with the page's changes written into
/// its text: key figures, charts as inline SVG and, with a pinned baseline,
/// paired differences (a second evening group shortens the evening wait;
/// against itself every difference is 0).
#[test]
fn the_page_form_runs_changes_and_pairs_them_with_a_baseline() {
    let s = serve(&[]);
    let changes = [
        "units.iop.tracks.evening.groups=2",
        "rooms.group-room.count=2",
        "simulation.trials=200",
    ];
    let (code, v) = post_json(s.port, "/api/run?page=t1", &page_run(&changes));
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["trials"], 200);
    assert_eq!(v["scenario"], "midsize-adult-iop");
    assert!(v["id"].as_u64().is_some(), "{v}");
    assert!(
        v["paired"].is_null(),
        "no baseline, no pairing: {}",
        v["paired"]
    );
    let toml = v["toml"].as_str().unwrap();
    assert!(toml.contains("groups = 2"), "{toml}");
    assert!(toml.contains("trials = 200"), "{toml}");
    // The text keeps its comments: the changes are edits, not a rewrite.
    assert!(toml.contains("# one planning year"), "{toml}");
    let figures = v["figures"].as_array().unwrap();
    assert!(!figures.is_empty());
    assert!(
        figures
            .iter()
            .any(|f| f["metric"] == "iop.evening.wait_days_p90"),
        "{figures:?}"
    );
    let charts = v["charts"].as_array().unwrap();
    assert!(!charts.is_empty());
    for c in charts {
        let svg = c["svg"].as_str().unwrap();
        assert!(svg.starts_with("<svg role=\"img\""), "{}", &svg[..80]);
        assert!(!c["title"].as_str().unwrap().is_empty(), "{c}");
    }

    // Pinned: the scenario without the changes (same seed and trials).
    let mut body = page_run(&changes);
    body["baseline"] = page_run(&["simulation.trials=200"]);
    let (code, v) = post_json(s.port, "/api/run?page=t1", &body);
    assert_eq!(code, 200, "{v}");
    assert!(v["paired_note"].is_null(), "{}", v["paired_note"]);
    assert_eq!(v["paired"]["trials"], 200);
    let rows = v["paired"]["rows"].as_array().unwrap();
    let row = rows
        .iter()
        .find(|r| r["metric"] == "iop.evening.wait_days_p90")
        .unwrap_or_else(|| panic!("no evening wait in {rows:?}"));
    assert_eq!(row["verdict"], "better", "{row}");
    let diff = row["difference"].as_f64().unwrap();
    assert!(diff < 0.0, "{row}");
    assert!(row["ci95"][1].as_f64().unwrap() < 0.0, "{row}");
    assert!(
        (row["alternative"].as_f64().unwrap() - row["baseline"].as_f64().unwrap() - diff).abs()
            < 1e-9,
        "{row}"
    );

    // Against itself: nothing changes.
    let mut body = page_run(&changes);
    body["baseline"] = page_run(&changes);
    let (code, v) = post_json(s.port, "/api/run?page=t1", &body);
    assert_eq!(code, 200, "{v}");
    let rows = v["paired"]["rows"].as_array().unwrap();
    assert!(rows.len() > 10, "{rows:?}");
    for r in rows {
        if let Some(d) = r["difference"].as_f64() {
            assert_eq!(d, 0.0, "{r}");
        }
    }
    assert!(rows.iter().any(|r| r["difference"].as_f64() == Some(0.0)));

    // A baseline on another trial count cannot be paired, and says so.
    let mut body = page_run(&changes);
    body["baseline"] = page_run(&["simulation.trials=100"]);
    let (code, v) = post_json(s.port, "/api/run?page=t1", &body);
    assert_eq!(code, 200, "{v}");
    assert!(v["paired"].is_null(), "{}", v["paired"]);
    assert!(
        v["paired_note"]
            .as_str()
            .unwrap()
            .contains("cannot be paired"),
        "{}",
        v["paired_note"]
    );
}

/// The files a page run downloads are byte for byte the ones `iopsim run`
/// writes for the scenario it downloads (summary.csv, weekly.csv,
/// trials.csv, report.html), each sent as an attachment.
#[test]
fn downloads_are_the_files_iopsim_run_writes() {
    let s = serve(&[]);
    let (code, v) = post_json(
        s.port,
        "/api/run?page=files",
        &page_run(&["simulation.trials=300"]),
    );
    assert_eq!(code, 200, "{v}");
    let id = v["id"].as_u64().unwrap();
    let name = v["scenario"].as_str().unwrap();
    let get = |file: &str| {
        let r = request(
            s.port,
            "GET",
            &format!("/api/results/{id}/{file}"),
            &[],
            b"",
        );
        assert_eq!(r.status, 200, "{file}: {}", r.text());
        assert_eq!(
            r.header("Content-Disposition"),
            Some(format!("attachment; filename=\"{file}\"").as_str()),
            "{file}"
        );
        r
    };
    let toml = get("scenario.toml");
    assert!(toml
        .header("Content-Type")
        .unwrap()
        .starts_with("application/toml"));
    assert_eq!(toml.text(), v["toml"].as_str().unwrap());

    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("scenario.toml");
    std::fs::write(&file, &toml.body).unwrap();
    let out = tmp.path().join("out");
    let cli = Command::new(env!("CARGO_BIN_EXE_iopsim"))
        .arg("run")
        .arg(&file)
        .arg("--out")
        .arg(&out)
        .arg("-q")
        .output()
        .unwrap();
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    for (file, kind) in [
        ("summary.csv", "text/csv"),
        ("weekly.csv", "text/csv"),
        ("trials.csv", "text/csv"),
        ("report.html", "text/html"),
    ] {
        let served = get(file);
        assert!(
            served.header("Content-Type").unwrap().starts_with(kind),
            "{file}: {:?}",
            served.header("Content-Type")
        );
        let written = std::fs::read(out.join(name).join(file)).unwrap();
        assert!(
            served.body == written,
            "{file}: {} bytes served, {} written by iopsim run; first difference at byte {:?}",
            served.body.len(),
            written.len(),
            served.body.iter().zip(&written).position(|(a, b)| a != b)
        );
    }
}

/// Malformed page-form requests get a clear error with the right status:
/// not JSON, no scenario, `set` not a list, a change naming nothing, a
/// change making the scenario invalid, a broken baseline, too many trials,
/// a bad page id, and a scenario naming a file (refused, nothing read).
#[test]
fn the_page_form_refuses_bad_requests_clearly() {
    let s = serve(&[]);
    let tmp = tempfile::tempdir().unwrap();
    // A valid census file: were it read, the run would go ahead.
    let csv = tmp.path().join("census.csv");
    std::fs::write(&csv, "unit,status,days_waited\niop,waiting,3\n").unwrap();
    let naming_a_file = format!(
        "{}\n[initial]\npatients_csv = {:?}\n",
        default_toml().replace("warmup_weeks = 26", "warmup_weeks = 0"),
        csv.display().to_string()
    );
    let trials = "simulation.trials=20";
    let mut broken_baseline = page_run(&[trials]);
    broken_baseline["baseline"] = page_run(&["units.iop.attendance=1.5", trials]);
    let cases: Vec<(&str, String, u16, Vec<&str>)> = vec![
        (
            "/api/run?page=e",
            "{\"scenario\": ".to_string(),
            400,
            vec!["expected JSON"],
        ),
        (
            "/api/run?page=e",
            serde_json::json!({ "set": [trials] }).to_string(),
            400,
            vec!["'scenario' is missing"],
        ),
        (
            "/api/run?page=e&trials=200",
            page_run(&[trials]).to_string(),
            400,
            vec!["simulation.trials=N", "not ?trials="],
        ),
        (
            "/api/run?page=e",
            serde_json::json!({ "scenario": default_toml(), "set": trials }).to_string(),
            400,
            vec!["'set' must be a list"],
        ),
        (
            "/api/run?page=e",
            serde_json::json!({ "scenario": default_toml(), "set": [2] }).to_string(),
            400,
            vec!["every entry of 'set' must be a string"],
        ),
        (
            "/api/run?page=e",
            page_run(&["units.nosuch.groups=2", trials]).to_string(),
            422,
            vec!["the scenario has problems", "units.nosuch.groups"],
        ),
        (
            "/api/run?page=e",
            page_run(&["units.iop.attendance=1.5", trials]).to_string(),
            422,
            vec!["the scenario has problems", "attendance", "1.5"],
        ),
        (
            "/api/run?page=e",
            broken_baseline.to_string(),
            422,
            vec!["the baseline has problems", "attendance"],
        ),
        (
            "/api/run?page=e",
            page_run(&["simulation.trials=30000"]).to_string(),
            400,
            vec!["30000 trials", "at most 20000"],
        ),
        (
            "/api/run?page=a/b",
            page_run(&[trials]).to_string(),
            400,
            vec!["page must be 1 to 64 letters"],
        ),
        (
            "/api/run?page=",
            page_run(&[trials]).to_string(),
            400,
            vec!["page must be"],
        ),
        (
            "/api/run?page=e",
            serde_json::json!({ "scenario": naming_a_file, "set": [trials] }).to_string(),
            422,
            vec!["initial.patients_csv", "the planner reads no files"],
        ),
        (
            "/api/run?page=e",
            page_run(&[
                &format!("initial.patients_csv={:?}", csv.display().to_string()),
                "simulation.warmup_weeks=0",
                trials,
            ])
            .to_string(),
            422,
            vec!["initial.patients_csv", "the planner reads no files"],
        ),
    ];
    let long_page = format!("/api/run?page={}", "p".repeat(65));
    for (path, body, want, words) in cases.into_iter().chain([(
        long_page.as_str(),
        page_run(&[trials]).to_string(),
        400,
        vec!["page must be"],
    )]) {
        let r = request(s.port, "POST", path, &[], body.as_bytes());
        let text = r.text();
        assert_eq!(
            r.status,
            want,
            "{path} {}: {text}",
            &body[..body.len().min(80)]
        );
        for w in words {
            assert!(text.contains(w), "{path}: no '{w}' in {text}");
        }
    }
    // The same file, read by the command line: it is a census it accepts,
    // so the refusal above is the server's door, not a bad file.
    std::fs::write(tmp.path().join("s.toml"), &naming_a_file).unwrap();
    let check = Command::new(env!("CARGO_BIN_EXE_iopsim"))
        .arg("check")
        .arg(tmp.path().join("s.toml"))
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    // Still answering.
    let (code, v) = post_json(s.port, "/api/run?page=e", &page_run(&[trials]));
    assert_eq!(code, 200, "{v}");
}

/// "What do I need": the smallest number of evening groups that brings
/// the evening's P90 wait to 14 days, in words, with the values tried and
/// the search's report and size.csv to download; bad searches are refused.
#[test]
fn what_do_i_need_sizes_a_lever_and_refuses_bad_searches() {
    let s = serve(&[]);
    let search = serde_json::json!({
        "scenario": default_toml(),
        "set": ["simulation.trials=200", "rooms.group-room.count=4"],
        "key": "units.iop.tracks.evening.groups",
        "values": [1, 2, 3, 4],
        "target": "iop.evening.wait_days_p90 p90 <= 14",
    });
    let (code, v) = post_json(s.port, "/api/size?page=need", &search);
    assert_eq!(code, 200, "{v}");
    let answer = v["answer"].as_str().unwrap_or_else(|| panic!("{v}"));
    let n: f64 = answer.parse().unwrap_or_else(|_| panic!("{answer}"));
    assert!((1.0..=4.0).contains(&n), "{answer}");
    let sentence = v["sentence"].as_str().unwrap();
    assert!(sentence.contains("evening groups"), "{sentence}");
    assert!(sentence.contains(answer), "{sentence}");
    assert_eq!(v["key"], "units.iop.tracks.evening.groups");
    assert_eq!(v["trials"], 200);
    let tried = v["tried"].as_array().unwrap();
    assert!(!tried.is_empty());
    // The answer passes; whatever was tried below it failed, with a reason.
    for t in tried {
        let value: f64 = t["value"].as_str().unwrap().parse().unwrap();
        assert_eq!(t["pass"], value >= n, "{t}");
        assert_eq!(
            t["why_not"].as_array().unwrap().is_empty(),
            value >= n,
            "{t}"
        );
    }
    let id = v["id"].as_u64().unwrap();
    let report = request(
        s.port,
        "GET",
        &format!("/api/results/{id}/report.html"),
        &[],
        b"",
    );
    assert_eq!(report.status, 200, "{}", report.text());
    assert!(report
        .header("Content-Type")
        .unwrap()
        .starts_with("text/html"));
    assert!(report.text().contains("iopsim size"), "{}", report.text());
    let csv = request(
        s.port,
        "GET",
        &format!("/api/results/{id}/size.csv"),
        &[],
        b"",
    );
    assert_eq!(csv.status, 200, "{}", csv.text());
    assert!(
        csv.text().starts_with("units.iop.tracks.evening.groups,"),
        "{}",
        csv.text()
    );
    // A search has no run's files.
    let (code, text) = http(
        s.port,
        "GET",
        &format!("/api/results/{id}/summary.csv"),
        &[],
        b"",
    );
    assert_eq!(code, 404, "{text}");

    let with = |key: &str, value: serde_json::Value| {
        let mut b = search.clone();
        b["set"] = serde_json::json!(["simulation.trials=20", "rooms.group-room.count=4"]);
        match value {
            serde_json::Value::Null => {
                b.as_object_mut().unwrap().remove(key);
            }
            v => b[key] = v,
        }
        b
    };
    for (body, want, words) in [
        (
            with("key", serde_json::Value::Null),
            400,
            "'key' is missing",
        ),
        (
            with("values", serde_json::json!([])),
            400,
            "1 to 200 numbers",
        ),
        (
            with("values", serde_json::json!((1..=201).collect::<Vec<u32>>())),
            400,
            "1 to 200 numbers",
        ),
        (
            with("values", serde_json::json!(["1", "2"])),
            400,
            "must be numbers",
        ),
        (
            with("values", serde_json::json!(3)),
            400,
            "1 to 200 numbers",
        ),
        (
            with("target", serde_json::Value::Null),
            400,
            "'target' is missing",
        ),
        (
            with("target", serde_json::json!("nonsense")),
            422,
            "METRIC STAT OP VALUE",
        ),
        (
            with("target", serde_json::json!("iop.nosuch p90 <= 14")),
            422,
            "no metric 'iop.nosuch'",
        ),
        (
            with("key", serde_json::json!("units.nosuch.groups")),
            422,
            "units.nosuch.groups",
        ),
    ] {
        let (code, v) = post_json(s.port, "/api/size", &body);
        assert_eq!(code, want, "{v}");
        let error = v["error"].as_str().unwrap();
        assert!(error.contains(words), "no '{words}' in {error}");
    }
}

/// `/api/results`: an id not kept (unknown, or pushed out by eight newer
/// runs) says to run again; a file a run does not have lists the files;
/// only GET is allowed.
#[test]
fn results_of_runs_not_kept_files_not_there_and_other_methods() {
    let s = serve(&[]);
    let (code, text) = http(s.port, "GET", "/api/results/12345/summary.csv", &[], b"");
    assert_eq!(code, 404, "{text}");
    assert!(text.contains("run again"), "{text}");
    let (code, text) = http(s.port, "GET", "/api/results/x/summary.csv", &[], b"");
    assert_eq!(code, 404, "{text}");

    let (code, v) = post_json(s.port, "/api/run", &page_run(&["simulation.trials=10"]));
    assert_eq!(code, 200, "{v}");
    let first = v["id"].as_u64().unwrap();
    let (code, text) = http(
        s.port,
        "GET",
        &format!("/api/results/{first}/nosuch.csv"),
        &[],
        b"",
    );
    assert_eq!(code, 404, "{text}");
    for f in [
        "scenario.toml",
        "summary.csv",
        "weekly.csv",
        "trials.csv",
        "report.html",
    ] {
        assert!(text.contains(f), "{f} not listed in {text}");
    }
    let (code, text) = http(
        s.port,
        "GET",
        &format!("/api/results/{first}/summary.csv"),
        &[],
        b"",
    );
    assert_eq!(code, 200, "{text}");
    assert!(text.starts_with("metric,"), "{text}");
    for method in ["POST", "PUT", "DELETE"] {
        let (code, text) = http(
            s.port,
            method,
            &format!("/api/results/{first}/summary.csv"),
            &[],
            b"",
        );
        assert_eq!(code, 405, "{method}: {text}");
        assert!(text.contains("method not allowed"), "{text}");
    }
    let (code, text) = http(s.port, "POST", "/api/results/1/summary.csv", &[], b"");
    assert_eq!(code, 405, "{text}");

    // Eight newer runs push the first out.
    for _ in 0..8 {
        let (code, v) = post_json(s.port, "/api/run", &page_run(&["simulation.trials=10"]));
        assert_eq!(code, 200, "{v}");
    }
    let (code, text) = http(
        s.port,
        "GET",
        &format!("/api/results/{first}/summary.csv"),
        &[],
        b"",
    );
    assert_eq!(code, 404, "{text}");
    assert!(
        text.contains("runs are kept") && text.contains("run again"),
        "{text}"
    );
    let (code, _) = http(
        s.port,
        "GET",
        &format!("/api/results/{}/summary.csv", first + 1),
        &[],
        b"",
    );
    assert_eq!(code, 200);
}

/// A newer change from the same page stops the page's older run: the
/// older request is answered 409 (superseded) at once, not when its run
/// would have ended, and the newer one runs.
#[test]
fn a_newer_change_from_the_same_page_stops_the_older_run() {
    let s = serve(&[]);
    let port = s.port;
    // 20,000 trials of ten years: far longer than the 10 s allowed below
    // (and stopped by the 60 s limit with 503, not 409, if never superseded).
    let long = page_run(&["simulation.trials=20000", "simulation.weeks=520"]);
    let older = post_json_behind(port, "/api/run?page=X".into(), long);
    std::thread::sleep(Duration::from_millis(300));
    let (code, v) = post_json(
        port,
        "/api/run?page=X",
        &page_run(&["simulation.trials=50"]),
    );
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["trials"], 50);
    let ((code, v), took) = older.join().unwrap();
    assert_eq!(code, 409, "{v}");
    assert_eq!(v["superseded"], true, "{v}");
    assert!(v["error"].as_str().unwrap().contains("newer change"), "{v}");
    assert!(took < Duration::from_secs(10), "superseded after {took:?}");
}

/// A full line of runs: the next run is told the server is busy at once,
/// the page's script and levers are served without waiting behind the
/// runs, and a waiting run its page replaces is answered 409 at once (not
/// when the runs ahead of it end), its replacement taking its place.
#[test]
fn a_full_line_of_runs_blocks_neither_the_page_nor_a_newer_change() {
    let s = serve(&[]);
    let port = s.port;
    let long = page_run(&["simulation.trials=20000", "simulation.weeks=520"]);
    let send = |page: String, body: serde_json::Value| {
        post_json_behind(port, format!("/api/run?page={page}"), body)
    };
    // One run in progress and MAX_WAITING (8) waiting, each far longer
    // than anything allowed below.
    let running = send("A".into(), long.clone());
    std::thread::sleep(Duration::from_millis(300));
    let waiting: Vec<_> = (0..8)
        .map(|i| send(format!("W{i}"), long.clone()))
        .collect();
    std::thread::sleep(Duration::from_millis(500));

    let t = std::time::Instant::now();
    let (code, v) = post_json(port, "/api/run", &page_run(&["simulation.trials=50"]));
    assert_eq!(code, 503, "{v}");
    assert!(v["error"].as_str().unwrap().contains("busy"), "{v}");
    for path in ["/planner.js", "/planner.css", "/", "/api/scenario"] {
        let (code, _) = http(port, "GET", path, &[], b"");
        assert_eq!(code, 200, "{path}");
    }
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "the page waited {:?} behind runs",
        t.elapsed()
    );

    // Each page changes again: the older waiting runs leave at once and
    // the newer ones take their places (none is told the line is full).
    let tiny = page_run(&["simulation.trials=20"]);
    let newer: Vec<_> = (0..8)
        .map(|i| send(format!("W{i}"), tiny.clone()))
        .collect();
    for w in waiting {
        let ((code, v), took) = w.join().unwrap();
        assert_eq!(code, 409, "{v}");
        assert!(
            took < Duration::from_secs(5),
            "a replaced run waited {took:?}"
        );
    }
    // The run in progress is replaced too; then the line empties quickly.
    let last = send("A".into(), tiny.clone());
    let ((code, v), took) = running.join().unwrap();
    assert_eq!(code, 409, "{v}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    for n in newer.into_iter().chain([last]) {
        let ((code, v), _) = n.join().unwrap();
        assert_eq!(code, 200, "{v}");
        assert_eq!(v["trials"], 20);
    }
}

/// Runs of different pages do not stop each other: both are answered.
#[test]
fn runs_of_different_pages_do_not_stop_each_other() {
    let s = serve(&[]);
    let port = s.port;
    let first = post_json_behind(
        port,
        "/api/run?page=A".into(),
        page_run(&["simulation.trials=3000"]),
    );
    std::thread::sleep(Duration::from_millis(100));
    let (code, v) = post_json(
        port,
        "/api/run?page=B",
        &page_run(&["simulation.trials=50"]),
    );
    assert_eq!(code, 200, "{v}");
    let sent_second = Duration::from_millis(100);
    let ((code, v), took) = first.join().unwrap();
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["trials"], 3000);
    // They overlapped: the first was still going when the second came.
    assert!(took > sent_second, "the first run ended after {took:?}");
}

/// Beyond loopback with a token: the page's script and style are public
/// (a `<script src>` cannot send the token), the page and the API are not.
#[test]
fn the_script_and_style_need_no_token_but_the_page_and_the_api_do() {
    let s = serve(&["--host", "0.0.0.0", "--token", "T0123456"]);
    for path in ["/planner.js", "/planner.css"] {
        let r = request(s.port, "GET", path, &[], b"");
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert!(!r.body.is_empty(), "{path}");
    }
    assert!(request(s.port, "GET", "/planner.js", &[], b"")
        .header("Content-Type")
        .unwrap()
        .starts_with("text/javascript"));
    for (method, path, body) in [
        ("GET", "/", &b""[..]),
        ("POST", "/api/levers", default_toml().as_bytes()),
        ("GET", "/api/scenario", &b""[..]),
        ("GET", "/api/results/1/summary.csv", &b""[..]),
        ("POST", "/planner.js", &b""[..]),
    ] {
        let (code, text) = http(s.port, method, path, &[], body);
        assert_eq!(code, 401, "{method} {path}: {text}");
        assert!(text.contains("access token is required"), "{text}");
    }
    let (code, text) = http(
        s.port,
        "POST",
        "/api/levers",
        &[("Authorization", "Bearer T0123456")],
        default_toml().as_bytes(),
    );
    assert_eq!(code, 200, "{text}");
}
