//! A small WebDriver (W3C) client: headless Chromium driven through
//! chromedriver, for the tests that use a page as a person does (type,
//! click, tab through it, read what it shows and what it logged).
//!
//! Only the standard library and `serde_json`: HTTP/1.1 by hand over a
//! `TcpStream`, one connection per command (`Connection: close`).
//! Failures panic with the WebDriver error's name and message: these are
//! tests.
//!
//! ```ignore
//! let Some(driver) = Driver::start() else { return };
//! let s = driver.session(1000, 700);
//! s.goto("http://127.0.0.1:8080/");
//! s.find("#n").send_keys("21");
//! s.find("#b").click();
//! assert_eq!(s.find("#o").text(), "42");
//! ```
#![allow(dead_code)] // each test crate uses some of it

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command as Process, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long one command may take before the test fails instead of hanging.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// How long chromedriver may take to say it is ready.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// The key under which the W3C protocol carries an element reference
/// (WebDriver, section 12.1, "web element identifier").
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Special keys for [`Session::press`] and [`Element::send_keys`]
/// (the W3C code points).
pub mod keys {
    pub const BACKSPACE: &str = "\u{E003}";
    pub const TAB: &str = "\u{E004}";
    pub const ENTER: &str = "\u{E007}";
    /// In [`super::Session::press`], held down from here to the end of the
    /// keys (or until the next `SHIFT`): `SHIFT` then `TAB` is Shift+Tab.
    pub const SHIFT: &str = "\u{E008}";
    pub const SPACE: &str = "\u{E00D}";
    pub const ARROW_UP: &str = "\u{E013}";
    pub const ARROW_DOWN: &str = "\u{E015}";
}

// --- HTTP -----------------------------------------------------------------

/// One HTTP/1.1 exchange with the server on `127.0.0.1:port`: the status
/// code and the body ([`read_response`]).
fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Vec<u8>)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_write_timeout(Some(READ_TIMEOUT))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nAccept: application/json\r\n"
    );
    if method == "POST" || !body.is_empty() {
        request.push_str("Content-Type: application/json; charset=utf-8\r\n");
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(&body);
    stream.write_all(request.as_bytes())?;
    stream.flush()?;
    read_response(&mut BufReader::new(stream))
}

/// An HTTP/1.1 response: its status code and body. The body is read by
/// `Content-Length`, as chunks (`Transfer-Encoding: chunked`), or to the
/// end of the stream.
pub fn read_response(reader: &mut impl BufRead) -> std::io::Result<(u16, Vec<u8>)> {
    let bad = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
    let status_line = read_line(reader)?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad(format!("not an HTTP status line: {status_line:?}")))?;
    let mut length = None;
    let mut chunked = false;
    loop {
        let line = read_line(reader)?;
        if line.is_empty() {
            break;
        }
        // chromedriver writes "Content-Length:252", without the space.
        let Some((name, value)) = line.split_once(':') else {
            return Err(bad(format!("not an HTTP header: {line:?}")));
        };
        let value = value.trim();
        if name.trim().eq_ignore_ascii_case("content-length") {
            length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| bad(format!("bad length {value:?}")))?,
            );
        } else if name.trim().eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    let mut out = Vec::new();
    if chunked {
        loop {
            let line = read_line(reader)?;
            let size = line.split(';').next().unwrap_or("").trim();
            let size = usize::from_str_radix(size, 16)
                .map_err(|_| bad(format!("bad chunk size {line:?}")))?;
            if size == 0 {
                // Trailers, up to the empty line.
                while !read_line(reader)?.is_empty() {}
                break;
            }
            let start = out.len();
            out.resize(start + size, 0);
            reader.read_exact(&mut out[start..])?;
            if !read_line(reader)?.is_empty() {
                return Err(bad("a chunk runs past its size".into()));
            }
        }
    } else if let Some(n) = length {
        out.resize(n, 0);
        reader.read_exact(&mut out)?;
    } else {
        reader.read_to_end(&mut out)?;
    }
    Ok((status, out))
}

/// A line without its CRLF; an error at the end of the stream.
fn read_line(reader: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = Vec::new();
    if reader.read_until(b'\n', &mut line)? == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the connection closed mid-response",
        ));
    }
    while line.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
        line.pop();
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

// --- WebDriver commands ---------------------------------------------------

/// A WebDriver error: its name ("no such element") and message.
#[derive(Debug)]
struct WdError {
    error: String,
    message: String,
}

impl std::fmt::Display for WdError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        // chromedriver's messages mostly begin with the error's name.
        if self.message.starts_with(&self.error) {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.error, self.message)
        }
    }
}

/// One command; its `value`, or the WebDriver error it answered.
/// A failure to talk to chromedriver at all panics.
fn try_command(port: u16, method: &str, path: &str, body: Option<Value>) -> Result<Value, WdError> {
    let (status, bytes) = http(port, method, path, body.as_ref())
        .unwrap_or_else(|e| panic!("WebDriver {method} {path}: no answer from chromedriver: {e}"));
    let reply: Value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "WebDriver {method} {path}: HTTP {status}, not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    let value = reply.get("value").cloned().unwrap_or(Value::Null);
    if status < 400 {
        return Ok(value);
    }
    let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
    Err(WdError {
        error: text("error").unwrap_or_else(|| format!("HTTP {status}")),
        message: text("message").unwrap_or_else(|| value.to_string()),
    })
}

/// One command; its `value`. Panics with the WebDriver error's message.
fn command(port: u16, method: &str, path: &str, body: Option<Value>) -> Value {
    try_command(port, method, path, body)
        .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"))
}

/// The path of `name` on the `PATH`, if it is installed.
fn which(name: &str) -> Option<PathBuf> {
    let out = Process::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
}

// --- The driver -----------------------------------------------------------

/// A running chromedriver. Killed when dropped (after its sessions: declare
/// sessions after the driver so they drop first).
pub struct Driver {
    child: Child,
    port: u16,
    chromium: PathBuf,
}

impl Driver {
    /// Starts chromedriver on a free port and waits (up to 20 s) until
    /// `GET /status` says it is ready for new sessions.
    ///
    /// `None` if chromedriver or chromium is not installed, so the caller
    /// decides whether to skip or fail (in CI they fail). Panics if they
    /// are installed but chromedriver will not start (three tries, each
    /// on a fresh port, in case another process took the port meanwhile).
    pub fn start() -> Option<Driver> {
        let chromedriver = which("chromedriver")?;
        let chromium = super::browser::chromium()?;
        let mut failures = Vec::new();
        for _ in 0..3 {
            let port = free_port();
            let mut child = Process::new(&chromedriver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{} does not start: {e}", chromedriver.display()));
            let started = Instant::now();
            let outcome = loop {
                if let Some(status) = child.try_wait().unwrap() {
                    break format!("port {port}: chromedriver exited ({status})");
                }
                if is_ready(port) {
                    return Some(Driver {
                        child,
                        port,
                        chromium,
                    });
                }
                if started.elapsed() > START_TIMEOUT {
                    let _ = child.kill();
                    let _ = child.wait();
                    break format!("port {port}: not ready within {START_TIMEOUT:?}");
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            failures.push(outcome);
        }
        panic!(
            "{} would not start: {}",
            chromedriver.display(),
            failures.join("; ")
        );
    }

    /// The port chromedriver listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A new headless Chromium session in a `width` x `height` window, with
    /// a fresh temporary profile and the browser's console kept for
    /// [`Session::browser_log`]. Scripts and page loads may take 30 s.
    ///
    /// The viewport (and so a screenshot) is as wide as the window but,
    /// in Chromium 156's headless mode, shorter: it leaves room for browser
    /// controls it does not draw (1000 x 700 gives a 1000 x 557 viewport).
    pub fn session(&self, width: u32, height: u32) -> Session {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let profile = std::env::temp_dir().join(format!(
            "iopsim-webdriver-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).unwrap();
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": self.chromium,
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-dev-shm-usage",
                            "--hide-scrollbars",
                            format!("--window-size={width},{height}"),
                            format!("--user-data-dir={}", profile.display()),
                        ],
                    },
                    "goog:loggingPrefs": { "browser": "ALL" },
                }
            }
        });
        let created = command(self.port, "POST", "/session", Some(capabilities));
        let id = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("a new session without an id: {created}"))
            .to_string();
        let session = Session {
            id,
            port: self.port,
            profile,
        };
        session.post("/timeouts", json!({ "script": 30_000, "pageLoad": 30_000 }));
        session
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Asked politely, chromedriver closes any browsers still open.
        let _ = http(self.port, "GET", "/shutdown", None);
        let asked = Instant::now();
        while asked.elapsed() < Duration::from_secs(2) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether chromedriver on `port` answers `GET /status` with ready: true
/// (not yet listening is not ready).
fn is_ready(port: u16) -> bool {
    let Ok((200, body)) = http(port, "GET", "/status", None) else {
        return false;
    };
    serde_json::from_slice::<Value>(&body).is_ok_and(|v| v["value"]["ready"] == true)
}

/// A port nothing listens on just now (bound, then let go).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

// --- A session ------------------------------------------------------------

/// One browser, in one window. Deleted (the browser quits, its profile is
/// removed) when dropped.
pub struct Session {
    id: String,
    port: u16,
    profile: PathBuf,
}

impl Session {
    fn path(&self, rest: &str) -> String {
        format!("/session/{}{rest}", self.id)
    }

    fn get(&self, rest: &str) -> Value {
        command(self.port, "GET", &self.path(rest), None)
    }

    fn post(&self, rest: &str, body: Value) -> Value {
        command(self.port, "POST", &self.path(rest), Some(body))
    }

    /// The WebDriver session id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Opens `url` and waits until it has loaded.
    pub fn goto(&self, url: &str) {
        self.post("/url", json!({ "url": url }));
    }

    /// The first element matching the CSS selector; panics (naming the
    /// selector) if there is none.
    pub fn find(&self, css: &str) -> Element {
        self.try_find(css)
            .unwrap_or_else(|| panic!("no element matches the selector {css:?}"))
    }

    /// The first element matching the CSS selector, if any.
    pub fn try_find(&self, css: &str) -> Option<Element> {
        let path = self.path("/element");
        let body = json!({ "using": "css selector", "value": css });
        match try_command(self.port, "POST", &path, Some(body)) {
            Ok(v) => Some(self.element(&v)),
            Err(e) if e.error == "no such element" => None,
            Err(e) => panic!("WebDriver POST {path} ({css:?}): {e}"),
        }
    }

    /// Every element matching the CSS selector, in document order.
    pub fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self.post(
            "/elements",
            json!({ "using": "css selector", "value": css }),
        );
        found
            .as_array()
            .unwrap_or_else(|| panic!("find_all {css:?}: not a list: {found}"))
            .iter()
            .map(|v| self.element(v))
            .collect()
    }

    fn element(&self, reference: &Value) -> Element {
        let id = reference[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("not an element reference: {reference}"));
        Element {
            session: self.id.clone(),
            port: self.port,
            id: id.to_string(),
        }
    }

    /// Runs `script` as the body of a function (`return` gives the value)
    /// with `args` as `arguments`; an [`Element::json`] argument arrives as
    /// the DOM element. Returns what the script returned.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
    }

    /// Runs `script` with `args` and a callback as the last argument;
    /// returns what the script passes to the callback (up to 30 s).
    pub fn execute_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.post("/execute/async", json!({ "script": script, "args": args }))
    }

    /// Polls `script` (sync, must `return` a value) every 25 ms until it
    /// returns something truthy (not null, false, 0 or ""); returns that
    /// value. Panics naming `what` and the last value after `timeout`.
    pub fn wait_for(&self, what: &str, script: &str, timeout: Duration) -> Value {
        let started = Instant::now();
        loop {
            let value = self.execute(script, vec![]);
            let truthy = match &value {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                Value::Array(_) | Value::Object(_) => true,
            };
            if truthy {
                return value;
            }
            if started.elapsed() > timeout {
                panic!("waited {timeout:?} for {what}; the script last returned {value}");
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// A PNG of the viewport.
    pub fn screenshot_png(&self) -> Vec<u8> {
        let encoded = self.get("/screenshot");
        base64_decode(
            encoded
                .as_str()
                .unwrap_or_else(|| panic!("a screenshot that is not a string: {encoded}")),
        )
    }

    /// Resizes the window to `width` x `height`; the viewport follows (as
    /// wide, shorter: see [`Driver::session`]).
    pub fn set_window_size(&self, width: u32, height: u32) {
        self.post("/window/rect", json!({ "width": width, "height": height }));
    }

    /// Types `keys` into whatever has focus, as key presses (W3C actions:
    /// each character down, then up). Special keys are in [`keys`];
    /// [`keys::SHIFT`] is held from where it appears until the next
    /// `SHIFT` or the end, so `SHIFT` + `TAB` is Shift+Tab.
    pub fn press(&self, keys: &str) {
        let mut actions = Vec::new();
        let mut shift = false;
        for c in keys.chars() {
            let key = c.to_string();
            if key == keys::SHIFT {
                shift = !shift;
                let kind = if shift { "keyDown" } else { "keyUp" };
                actions.push(json!({ "type": kind, "value": key }));
                continue;
            }
            actions.push(json!({ "type": "keyDown", "value": key }));
            actions.push(json!({ "type": "keyUp", "value": key }));
        }
        if shift {
            actions.push(json!({ "type": "keyUp", "value": keys::SHIFT }));
        }
        self.post(
            "/actions",
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] }),
        );
        // Forget the input state, so the next press starts with no key down.
        command(self.port, "DELETE", &self.path("/actions"), None);
    }

    /// The element that has focus (the body if none has).
    pub fn active(&self) -> Element {
        let v = self.get("/element/active");
        self.element(&v)
    }

    /// What the page logged to the console since the last call (Chromium
    /// hands each entry out once), as "LEVEL message": "SEVERE
    /// console-api 12:16 \"probe\"". Empty if the endpoint is not there.
    pub fn browser_log(&self) -> Vec<String> {
        let body = json!({ "type": "browser" });
        // chromedriver answers both; "/se/log" is the one Selenium uses.
        let entries = ["/se/log", "/log"].iter().find_map(|rest| {
            try_command(self.port, "POST", &self.path(rest), Some(body.clone())).ok()
        });
        let Some(Value::Array(entries)) = entries else {
            return Vec::new();
        };
        entries
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["level"].as_str().unwrap_or("?"),
                    e["message"].as_str().unwrap_or("")
                )
            })
            .collect()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = try_command(self.port, "DELETE", &self.path(""), None);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

// --- An element -----------------------------------------------------------

/// An element of the page, by its WebDriver id (plain data: it may outlive
/// nothing, but commands on it after its session ends fail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    session: String,
    port: u16,
    id: String,
}

impl Element {
    fn path(&self, rest: &str) -> String {
        format!("/session/{}/element/{}{rest}", self.session, self.id)
    }

    /// The WebDriver element id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The element as a script argument for [`Session::execute`].
    pub fn json(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }

    /// Scrolls the element into view and clicks its centre.
    pub fn click(&self) {
        command(self.port, "POST", &self.path("/click"), Some(json!({})));
    }

    /// Empties an input or textarea.
    pub fn clear(&self) {
        command(self.port, "POST", &self.path("/clear"), Some(json!({})));
    }

    /// Focuses the element and types `text` into it (special keys as in
    /// [`keys`]).
    pub fn send_keys(&self, text: &str) {
        command(
            self.port,
            "POST",
            &self.path("/value"),
            Some(json!({ "text": text })),
        );
    }

    /// The text as rendered (`innerText`-like; hidden text is left out).
    pub fn text(&self) -> String {
        let v = command(self.port, "GET", &self.path("/text"), None);
        v.as_str().unwrap_or_default().to_string()
    }

    /// The attribute `name` as written in the HTML, if present.
    pub fn attribute(&self, name: &str) -> Option<String> {
        let v = command(
            self.port,
            "GET",
            &self.path(&format!("/attribute/{name}")),
            None,
        );
        match v {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        }
    }

    /// The DOM property `name` (`value` of an input is what it holds now).
    pub fn property(&self, name: &str) -> Value {
        command(
            self.port,
            "GET",
            &self.path(&format!("/property/{name}")),
            None,
        )
    }
}

// --- Base64 ---------------------------------------------------------------

/// Decodes standard base64 (RFC 4648, `+/`, `=` padding optional,
/// whitespace ignored). Panics on anything else.
pub fn base64_decode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut bits, mut count) = (0u32, 0u32);
    let mut digits = 0usize;
    let mut padding = false;
    for (i, c) in text.bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding = true;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => panic!("base64: byte {c:#04x} at {i} is not a base64 digit"),
        };
        assert!(!padding, "base64: a digit after the padding at {i}");
        digits += 1;
        bits = (bits << 6) | u32::from(v);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    assert!(
        digits % 4 != 1,
        "base64: {digits} digits cannot end a group"
    );
    out
}
