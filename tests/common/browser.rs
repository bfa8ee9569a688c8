//! Headless Chromium for the tests that look at pages as a person does:
//! screenshots, the console, and a probe of the laid-out page.
#![allow(dead_code)] // each test crate uses some of it

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

pub fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = fs::File::open(path).unwrap();
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap_or_else(|e| panic!("{} is not a PNG: {e}", path.display()));
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    // Normalise to RGB.
    let channels = info.color_type.samples();
    let rgb = buf
        .chunks(channels)
        .flat_map(|p| [p[0], p[1 % channels], p[2 % channels]])
        .collect();
    (info.width, info.height, rgb)
}

/// Pixels in the rectangle that differ clearly from white.
pub fn ink(rgb: &[u8], width: u32, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> usize {
    (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| ((y * width + x) * 3) as usize))
        .filter(|&i| rgb[i..i + 3].iter().any(|&c| c < 200))
        .count()
}

// --- In a browser --------------------------------------------------------

pub fn chromium() -> Option<PathBuf> {
    for name in ["chromium", "chromium-browser"] {
        if let Ok(out) = Process::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
        {
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if out.status.success() && !path.is_empty() {
                return Some(PathBuf::from(path));
            }
        }
    }
    None
}

/// Runs headless Chromium with `args` on `page`; returns (stdout, stderr).
/// Output goes to files next to the profile: a page's DOM can be larger
/// than a pipe holds while we wait.
pub fn headless(chrome: &Path, profile: &Path, args: &[&str], page: &Path) -> (String, String) {
    let stdout_path = profile.with_extension("stdout");
    let stderr_path = profile.with_extension("stderr");
    let mut child = Process::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout_path).unwrap())
        .stderr(fs::File::create(&stderr_path).unwrap())
        .spawn()
        .expect("chromium starts");
    // Never hang the suite on a stuck browser.
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let read = |p: &Path| String::from_utf8_lossy(&fs::read(p).unwrap()).into_owned();
    (read(&stdout_path), read(&stderr_path))
}

/// Console messages Chromium logged for the page (not its own start-up noise).
pub fn console_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Refused to") || l.contains("Uncaught"))
        .collect()
}

/// Records errors from the start of the page and, once it has loaded, the
/// size of every image and SVG, into `<pre id="probe">`.
pub const PROBE_HEAD: &str = r#"<script>
window.__errors = [];
window.addEventListener('error', function (e) {
  window.__errors.push('error: ' + (e.message || (e.target && e.target.outerHTML) || e.type));
}, true);
document.addEventListener('securitypolicyviolation', function (e) {
  window.__errors.push('csp: ' + e.violatedDirective + ' ' + e.blockedURI);
});
['error', 'warn'].forEach(function (level) {
  var orig = console[level];
  console[level] = function () {
    window.__errors.push('console.' + level + ': ' + Array.prototype.join.call(arguments, ' '));
    orig.apply(console, arguments);
  };
});
</script>"#;

pub const PROBE_BODY: &str = r#"<script>
window.addEventListener('load', function () {
  setTimeout(function () {
    var out = [];
    var items = document.querySelectorAll('img, svg');
    out.push('images ' + items.length);
    items.forEach(function (el, i) {
      var r = el.getBoundingClientRect();
      out.push('size ' + i + ' ' + Math.round(r.width) + ' ' + Math.round(r.height));
    });
    out.push('overflow ' + (document.documentElement.scrollWidth - window.innerWidth));
    window.__errors.forEach(function (e) { out.push(e); });
    out.push('done');
    var pre = document.createElement('pre');
    pre.id = 'probe';
    pre.textContent = out.join('\n');
    document.body.appendChild(pre);
  }, 100);
});
</script>"#;

/// What a page looks like laid out at one width.
#[derive(Debug)]
pub struct Layout {
    /// How far the page scrolls sideways, in CSS pixels (0: it fits).
    pub overflow: i64,
    /// Elements whose right edge passes the window, outside a box that
    /// scrolls on its own: "table 412" (tag and right edge).
    pub sticking_out: Vec<String>,
    /// Errors and content-security-policy violations the page logged.
    pub errors: Vec<String>,
    /// The page's text as shown (`innerText`).
    pub text: String,
}

/// Measures after load: the sideways overflow, what sticks out, the text.
const LAYOUT_PROBE: &str = r#"<script>
window.addEventListener('load', function () {
  setTimeout(function () {
    var w = window.innerWidth, out = [];
    out.push('overflow ' + (document.documentElement.scrollWidth - w));
    var scrolls = function (el) {
      for (var p = el.parentElement; p; p = p.parentElement) {
        var ox = getComputedStyle(p).overflowX;
        if (ox === 'auto' || ox === 'scroll' || ox === 'hidden') return true;
      }
      return false;
    };
    document.querySelectorAll('body *').forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > w + 1 && !scrolls(el) && el.id !== 'probe') {
        out.push('wide ' + el.tagName.toLowerCase() + ' ' + Math.round(r.right));
      }
    });
    window.__errors.forEach(function (e) { out.push(e); });
    out.push('text ' + encodeURIComponent(document.body.innerText));
    var pre = document.createElement('pre');
    pre.id = 'probe';
    pre.textContent = out.join('\n');
    document.body.appendChild(pre);
  }, 100);
});
</script>"#;

/// Lays `page` out in headless Chromium `width` pixels wide (a copy with
/// the probe, in `work`) and reports what it measured.
pub fn layout(chrome: &Path, work: &Path, page: &Path, csp: &str, width: u32) -> Layout {
    let html = fs::read_to_string(page).unwrap();
    assert!(html.contains(csp), "{} has the policy", page.display());
    let probed = html
        .replacen(csp, &format!("{csp}; script-src 'unsafe-inline'"), 1)
        .replacen("<head>", &format!("<head>\n{PROBE_HEAD}"), 1)
        .replacen("</body>", &format!("{LAYOUT_PROBE}\n</body>"), 1);
    let copy = page.with_file_name(format!("probe-{width}.html"));
    fs::write(&copy, probed).unwrap();
    let (dom, stderr) = headless(
        chrome,
        &work.join(format!("profile-layout-{width}")),
        &[
            "--dump-dom",
            "--virtual-time-budget=5000",
            &format!("--window-size={width},900"),
        ],
        &copy,
    );
    let _ = fs::remove_file(&copy);
    let start = dom.find("<pre id=\"probe\">").expect("the probe ran") + 16;
    let probe = &dom[start..start + dom[start..].find("</pre>").unwrap()];
    let mut l = Layout {
        overflow: 0,
        sticking_out: Vec::new(),
        errors: console_lines(&stderr)
            .iter()
            .map(|s| s.to_string())
            .collect(),
        text: String::new(),
    };
    for line in probe.lines() {
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "overflow" => l.overflow = rest.parse().unwrap(),
            "wide" => l.sticking_out.push(rest.to_string()),
            "text" => l.text = decode_uri(rest),
            _ => l.errors.push(line.to_string()),
        }
    }
    l
}

/// `encodeURIComponent` undone (the probe's text survives the DOM dump).
fn decode_uri(s: &str) -> String {
    let s = s.replace("&amp;", "&");
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A screenshot of `page` at `width` x `height`; returns its path.
pub fn screenshot(chrome: &Path, work: &Path, page: &Path, width: u32, height: u32, to: &Path) {
    let _ = fs::remove_file(to);
    let (_, stderr) = headless(
        chrome,
        &work.join(format!("profile-shot-{width}")),
        &[
            &format!("--screenshot={}", to.display()),
            &format!("--window-size={width},{height}"),
        ],
        page,
    );
    assert!(
        to.is_file(),
        "no screenshot of {}: {stderr}",
        page.display()
    );
}
