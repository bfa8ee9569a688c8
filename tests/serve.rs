//! `iopsim serve` over HTTP, as a browser or a script would meet it: the
//! page and the API answer; malformed, oversized and invalid requests get
//! a clear error; other origins, other host names and, beyond loopback,
//! requests without the token are refused; 50 clients at once are all
//! answered and the server stays up.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `iopsim serve`, killed when dropped.
struct Serve {
    child: Child,
    port: u16,
    /// The first line it printed.
    banner: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iopsim"))
        .args(["serve", "--port", "0", "--threads", "2"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    out.read_line(&mut banner).unwrap();
    let port = banner
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|hostport| hostport.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no address in {banner:?}"));
    // Keep reading its output so it never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = out.read_to_string(&mut sink);
    });
    Serve {
        child,
        port,
        banner,
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
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
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
