//! The plots and `report.html` as a person meets them: `iopsim run` writes
//! them (and `--no-plots` does not), the PNGs carry text drawn from the
//! embedded font, and headless Chromium loads the report with no console
//! errors and every chart at a non-zero size.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

const SCENARIO_DIR: &str = "midsize-adult-iop";

/// Runs the default scenario briefly into `out`; returns the result folder.
fn run_default(out: &Path, extra: &[&str]) -> PathBuf {
    Command::cargo_bin("iopsim")
        .unwrap()
        .args(["run", "scenarios/default.toml", "--trials", "40", "--quiet"])
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
    out.join(SCENARIO_DIR)
}

fn names(dir: &Path, ext: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(ext))
        .collect();
    v.sort();
    v
}

fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
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
fn ink(rgb: &[u8], width: u32, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> usize {
    (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| ((y * width + x) * 3) as usize))
        .filter(|&i| rgb[i..i + 3].iter().any(|&c| c < 200))
        .count()
}

#[test]
fn run_writes_every_plot_as_png_and_svg_and_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_default(tmp.path(), &[]);
    let pngs = names(&dir, ".png");
    assert_eq!(
        pngs,
        [
            "census-iop.png",
            "finance-net.png",
            "outcomes-iop.png",
            "sessions-iop.png",
            "staff-prescriber.png",
            "staff-therapist.png",
            "track-waits-iop.png",
            "waitlist-iop.png",
            "waits-iop.png",
        ]
    );
    let svgs = names(&dir, ".svg");
    assert_eq!(
        svgs,
        pngs.iter()
            .map(|p| p.replace(".png", ".svg"))
            .collect::<Vec<_>>()
    );
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert_eq!(html.matches("<svg ").count(), svgs.len());
    for png in &pngs {
        let (w, h, rgb) = decode_png(&dir.join(png));
        assert_eq!(w, 960, "{png}");
        if png.starts_with("outcomes-") {
            // Taller: a second panel of where leavers went.
            assert!(h > 600, "{png} is {h} px high");
        } else {
            assert_eq!(h, 480, "{png}");
        }
        // The title: dark glyphs in the top band, and not a solid block.
        let title = ink(&rgb, w, (0, 8, 420, 40));
        assert!(
            title > 300 && title < 420 * 32 / 2,
            "{png}: {title} dark pixels in the title"
        );
        // The plot itself has something drawn too.
        assert!(
            ink(&rgb, w, (100, 120, 900, 400)) > 2000,
            "{png}: empty plot area"
        );
        let size = fs::metadata(dir.join(png)).unwrap().len();
        assert!(size < 300_000, "{png} is {size} bytes");
    }
}

#[test]
fn no_plots_skips_plots_and_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_default(tmp.path(), &["--no-plots"]);
    assert!(names(&dir, ".png").is_empty());
    assert!(names(&dir, ".svg").is_empty());
    assert!(!dir.join("report.html").exists());
    assert!(dir.join("summary.csv").is_file());
}

#[test]
fn plots_and_report_are_byte_identical_for_any_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let one = run_default(&tmp.path().join("1"), &["--threads", "1"]);
    let two = run_default(&tmp.path().join("2"), &["--threads", "2"]);
    let files: Vec<String> = names(&one, "")
        .into_iter()
        .filter(|n| n.ends_with(".png") || n.ends_with(".svg") || n.ends_with(".html"))
        .collect();
    assert_eq!(files.len(), 19, "9 charts x (PNG + SVG) + report.html");
    for f in files {
        assert!(
            fs::read(one.join(&f)).unwrap() == fs::read(two.join(&f)).unwrap(),
            "{f} differs between 1 and 2 threads"
        );
    }
}

// --- In a browser --------------------------------------------------------

fn chromium() -> Option<PathBuf> {
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
fn headless(chrome: &Path, profile: &Path, args: &[&str], page: &Path) -> (String, String) {
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
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Refused to") || l.contains("Uncaught"))
        .collect()
}

/// Records errors from the start of the page and, once it has loaded, the
/// size of every image and SVG, into `<pre id="probe">`.
const PROBE_HEAD: &str = r#"<script>
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

const PROBE_BODY: &str = r#"<script>
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

#[test]
fn report_loads_in_headless_chromium_without_errors_and_shows_every_chart() {
    let Some(chrome) = chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is not installed; .ci/run installs it (apt-get install chromium)");
        }
        println!(
            "SKIPPED: chromium is not installed (apt-get install chromium); not failing outside CI"
        );
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = run_default(&tmp.path().join("out"), &[]);
    let report = dir.join("report.html");
    let html = fs::read_to_string(&report).unwrap();
    let charts = html.matches("<svg ").count();
    assert!(charts >= 7);

    // 1. The page as shipped: a screenshot, and nothing on the console
    // (a blocked fetch would be a content-security-policy error there).
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let _ = fs::remove_file(&shot);
    let (_, stderr) = headless(
        &chrome,
        &tmp.path().join("profile-1"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1366,2400",
        ],
        &report,
    );
    assert_eq!(console_lines(&stderr), Vec::<&str>::new(), "{stderr}");
    let (w, h, rgb) = decode_png(&shot);
    assert_eq!((w, h), (1366, 2400));
    // Text at the top, tables and the first chart further down.
    for band in [(0, 0, w, 300), (0, 300, w, 1400), (0, 1400, w, 2400)] {
        assert!(
            ink(&rgb, w, band) > 5000,
            "screenshot band {band:?} is blank"
        );
    }
    println!("screenshot: {}", shot.display());

    // 2. The same page with a probe: errors from the first byte on, and the
    // laid-out size of every chart. Its policy is widened only to let the
    // probe's own inline scripts run.
    let csp = iopsim::report::html::CSP;
    assert!(html.contains(csp));
    let probed = html
        .replacen(csp, &format!("{csp}; script-src 'unsafe-inline'"), 1)
        .replacen("<head>", &format!("<head>\n{PROBE_HEAD}"), 1)
        .replacen("</body>", &format!("{PROBE_BODY}\n</body>"), 1);
    let probe_page = dir.join("probe.html");
    fs::write(&probe_page, probed).unwrap();
    let (dom, stderr) = headless(
        &chrome,
        &tmp.path().join("profile-2"),
        &[
            "--dump-dom",
            "--virtual-time-budget=5000",
            "--window-size=1366,900",
        ],
        &probe_page,
    );
    assert_eq!(console_lines(&stderr), Vec::<&str>::new(), "{stderr}");
    let start = dom.find("<pre id=\"probe\">").expect("the probe ran") + 16;
    let probe = &dom[start..start + dom[start..].find("</pre>").unwrap()];
    let lines: Vec<&str> = probe.lines().collect();
    assert_eq!(
        lines.first(),
        Some(&format!("images {charts}").as_str()),
        "{probe}"
    );
    assert_eq!(lines.last(), Some(&"done"), "{probe}");
    for l in &lines[1..lines.len() - 1] {
        let f: Vec<&str> = l.split(' ').collect();
        match f[0] {
            "size" => {
                let (w, h): (f64, f64) = (f[2].parse().unwrap(), f[3].parse().unwrap());
                assert!(w > 300.0 && h > 150.0, "chart {} is {w} x {h}", f[1]);
            }
            "overflow" => assert!(
                f[1].parse::<i64>().unwrap() <= 0,
                "the page scrolls sideways at laptop width: {l}"
            ),
            _ => panic!("the page reported a problem: {l}"),
        }
    }
}
