//! The planner's page in a real headless Chromium, driven through
//! chromedriver as a director would use it: the page loads and runs; a
//! lever moved from the keyboard changes the figures; a pinned baseline
//! turns every figure into a paired difference; "what do I need" answers;
//! the scenario downloaded runs in `iopsim run` to the page's figures byte
//! for byte; a run of the history restores; the whole text shows its
//! problems; every control is labelled and reachable by Tab; the page fits
//! a phone and logs no error. With IOPSIM_WRITE_SCREENSHOTS=1 it writes the
//! screenshots of docs/planner.md.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::serve::serve;
use common::webdriver::{keys, Driver, Session};
use serde_json::json;

fn driver() -> Option<Driver> {
    let d = Driver::start();
    if d.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("chromium or chromedriver is not installed; .ci/run installs them (apt-get install chromium chromium-driver)");
        }
        println!("SKIPPED: chromium or chromedriver is not installed; not failing outside CI");
    }
    d
}

/// A server and the page open on it at desktop width, its first run shown.
fn open(d: &Driver) -> (common::serve::Serve, Session, u64) {
    let server = serve(&[]);
    let s = d.session(1366, 1000);
    s.goto(&server.url);
    let first = wait_run(&s, 0);
    (server, s, first)
}

const LONG: Duration = Duration::from_secs(60);

/// The number of the run the page shows (its `data-run`), 0 before the first.
fn shown_run(s: &Session) -> u64 {
    s.execute("return Number(document.body.dataset.run || 0);", vec![])
        .as_u64()
        .unwrap_or(0)
}

/// Waits until the page shows a run after `after`.
fn wait_run(s: &Session, after: u64) -> u64 {
    s.wait_for(
        "the page to show a new run",
        &format!("var r = Number(document.body.dataset.run || 0); return r > {after} ? r : null;"),
        LONG,
    )
    .as_u64()
    .unwrap()
}

/// Waits until the run shown is one with `change` among its changes (as
/// the history's current row words them, e.g. "evening groups: 1 → 2").
fn wait_shown_with(s: &Session, change: &str) -> u64 {
    let started = std::time::Instant::now();
    loop {
        let v = s.execute(
            "var td = document.querySelector('#history tr.current td:nth-child(2)');
             var st = document.getElementById('status');
             return [td ? td.textContent : '', st.className, st.textContent];",
            vec![],
        );
        let (row, class, status) = (
            v[0].as_str().unwrap_or(""),
            v[1].as_str().unwrap_or(""),
            v[2].as_str().unwrap_or(""),
        );
        if row.contains(change) && class.is_empty() {
            return shown_run(s);
        }
        assert!(
            started.elapsed() < LONG,
            "waited for a run with '{change}': the current run's changes are '{row}', the status '{status}' ({class})"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The median cell and the change cell (if any) of a key figure's row.
fn figure(s: &Session, metric: &str) -> (String, Option<(String, String)>) {
    let v = s.execute(
        "var tr = document.querySelector('#figures tr[data-metric=\"' + arguments[0] + '\"]');
         if (!tr) { return null; }
         var d = tr.querySelector('td.diff');
         return [tr.querySelector('td.median').textContent, d ? d.textContent : null, d ? d.className : null];",
        vec![json!(metric)],
    );
    let a = v.as_array().unwrap_or_else(|| panic!("no figure {metric}"));
    let median = a[0].as_str().unwrap().to_string();
    let diff = a[1]
        .as_str()
        .map(|t| (t.to_string(), a[2].as_str().unwrap().to_string()));
    (median, diff)
}

/// Sets a number lever from the keyboard: focus, select all, type, Tab.
fn type_into(s: &Session, css: &str, value: &str) {
    let input = s.find(css);
    input.click();
    s.execute("arguments[0].select();", vec![input.json()]);
    s.press(&format!("{value}{}", keys::TAB));
}

/// Fetches a link's target as text, as the browser would download it.
fn download(s: &Session, css: &str) -> String {
    let v = s.execute_async(
        "var done = arguments[arguments.length - 1];
         var a = document.querySelector(arguments[0]);
         fetch(a.href).then(function (r) { return r.text(); }).then(done, function (e) { done('ERROR ' + e); });",
        vec![json!(css)],
    );
    let text = v.as_str().unwrap().to_string();
    assert!(!text.starts_with("ERROR"), "{css}: {text}");
    text
}

fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    (w, h)
}

fn errors_in_log(s: &Session) -> Vec<String> {
    s.browser_log()
        .into_iter()
        .filter(|l| l.starts_with("SEVERE") || l.contains("Content Security Policy"))
        // A scenario's problems (422) or a run replaced by a newer change
        // (409) are answers the page shows, not errors.
        .filter(|l| {
            !(l.contains("Failed to load resource")
                && (l.contains("status of 422") || l.contains("status of 409")))
        })
        .collect()
}

#[test]
fn a_director_moves_levers_pins_a_baseline_asks_what_is_needed_and_downloads_the_scenario() {
    let Some(d) = driver() else {
        return;
    };
    let (_server, s, first) = open(&d);
    let (evening_before, diff) = figure(&s, "iop.evening.wait_days_p90");
    assert!(diff.is_none(), "no baseline yet, no change column");
    assert!(
        s.find("#status").text().contains("1000 trials"),
        "{}",
        s.find("#status").text()
    );
    let charts = s.find_all("#charts figure svg").len();
    assert!(charts >= 5, "the run report's charts: {charts}");

    // Every control is labelled.
    let unlabelled = s.execute(
        "return Array.from(document.querySelectorAll('input, select, textarea'))
           .filter(function (e) { return !(e.labels && e.labels.length) && !e.getAttribute('aria-label'); })
           .map(function (e) { return e.id || e.outerHTML; });",
        vec![],
    );
    assert_eq!(unlabelled, json!([]), "controls without a label");

    // Pin the baseline from the keyboard: every change reads as none.
    s.find("#pin").click();
    let pinned = wait_run(&s, first);
    let (_, diff) = figure(&s, "iop.evening.wait_days_p90");
    let (text, class) = diff.expect("a change column with a baseline");
    assert!(class.contains("neutral"), "{text} {class}");
    assert!(
        s.find("#baseline-note")
            .text()
            .starts_with("Baseline: run #"),
        "{}",
        s.find("#baseline-note").text()
    );

    // A second evening group needs a second room: move both from the keyboard.
    assert!(pinned > first);
    type_into(&s, "#lever-rooms_group-room_count", "2");
    wait_shown_with(&s, "number of group-room rooms: 1 \u{2192} 2");
    let groups = s.find("#lever-units_iop_tracks_evening_groups");
    groups.click();
    s.press(keys::ARROW_UP);
    wait_shown_with(&s, "evening groups: 1 \u{2192} 2");
    assert_eq!(groups.property("value"), json!("2"));
    assert!(
        s.find("[data-key='units.iop.tracks.evening.groups']")
            .attribute("class")
            .unwrap_or_default()
            .contains("changed"),
        "a moved lever is marked"
    );
    let (evening_after, diff) = figure(&s, "iop.evening.wait_days_p90");
    assert_ne!(evening_after, evening_before, "the figures changed");
    let (text, class) = diff.unwrap();
    assert!(
        class.contains("better") && text.starts_with('-'),
        "two evening groups shorten the evening wait: {text} ({class})"
    );
    let (_, diff) = figure(&s, "iop.evening.census");
    assert!(diff.is_some(), "every key figure has its difference");

    // What do I need: evening groups for an evening P90 wait of at most
    // 14 days, with rooms for all of them.
    type_into(&s, "#lever-rooms_group-room_count", "4");
    let r = wait_shown_with(&s, "number of group-room rooms: 1 \u{2192} 4");
    assert_eq!(
        s.find("#need-lever").property("value"),
        json!("units.iop.tracks.evening.groups")
    );
    for (css, v) in [
        ("#need-from", "1"),
        ("#need-to", "4"),
        ("#need-value", "14"),
    ] {
        let e = s.find(css);
        e.clear();
        e.send_keys(v);
    }
    s.execute(
        "document.getElementById('need-metric').value = 'iop.evening.wait_days_p90';",
        vec![],
    );
    s.find("#need-run").click();
    let sentence = s
        .wait_for(
            "the answer of what do I need",
            "var e = document.getElementById('need-sentence'); return e ? e.textContent : null;",
            LONG,
        )
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        sentence.starts_with("The smallest value of evening groups that meets the target"),
        "{sentence}"
    );
    let rows = s.find_all("#need-answer tr").len();
    assert!(rows >= 3, "the values tried are listed: {rows}");

    // The scenario downloaded runs in iopsim run to the page's figures.
    let toml = download(&s, "#downloads a[data-file='scenario.toml']");
    assert!(toml.contains("count = 4"), "{toml}");
    assert!(
        toml.contains("# Friday discharge peak"),
        "the file keeps its comments"
    );
    let summary = download(&s, "#downloads a[data-file='summary.csv']");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("downloaded.toml");
    std::fs::write(&file, &toml).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_iopsim"))
        .args(["run"])
        .arg(&file)
        .args(["--no-plots", "-q", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let name = toml
        .lines()
        .find_map(|l| l.strip_prefix("name = \""))
        .and_then(|l| l.split('"').next())
        .unwrap();
    let cli = std::fs::read_to_string(dir.path().join(name).join("summary.csv")).unwrap();
    assert!(
        cli == summary,
        "iopsim run on the downloaded scenario gives the page's summary.csv"
    );

    // The history restores an earlier run: the first, the scenario as loaded.
    let rows = s.find_all("#history tbody tr").len();
    assert!(rows >= 4, "history rows: {rows}");
    let restore = s.find_all("#history tbody tr button");
    restore.last().unwrap().click();
    wait_run(&s, r);
    assert_eq!(
        s.find("#lever-units_iop_tracks_evening_groups")
            .property("value"),
        json!("1")
    );
    assert_eq!(
        s.find("#lever-rooms_group-room_count").property("value"),
        json!("1")
    );

    // Everything: the whole text, its problems in check's words.
    s.find("#view-text").click();
    let text = s.find("#scenario-text").property("value");
    assert!(text.as_str().unwrap().contains("[[units.tracks]]"));
    s.execute(
        "var t = document.getElementById('scenario-text');
         t.value = t.value.replace('attendance = 0.88', 'attendance = 1.7');
         t.dispatchEvent(new Event('input'));",
        vec![],
    );
    let problems = s
        .wait_for(
            "the text's problems",
            "var e = document.querySelector('#text-problems li'); return e ? e.textContent : null;",
            LONG,
        )
        .as_str()
        .unwrap()
        .to_string();
    assert!(problems.contains("attendance"), "{problems}");
    let errors = errors_in_log(&s);
    assert!(errors.is_empty(), "errors in the console: {errors:?}");
}

#[test]
fn keyboard_alone_reaches_every_part_and_the_page_fits_a_phone() {
    let Some(d) = driver() else {
        return;
    };
    let (_server, s, first) = open(&d);
    // Tab from the top: the trials, the views, the levers, in page order.
    s.execute("document.activeElement.blur(); window.focus();", vec![]);
    let mut seen = Vec::new();
    for _ in 0..8 {
        s.press(keys::TAB);
        seen.push(s.active().attribute("id").unwrap_or_default());
    }
    for want in [
        "trials",
        "view-levers",
        "view-text",
        "lever-units_iop_tracks_morning_groups",
    ] {
        assert!(
            seen.iter().any(|id| id == want),
            "{want} not reached by Tab: {seen:?}"
        );
    }
    // Pin with Enter, from the keyboard only.
    s.execute("document.getElementById('pin').focus();", vec![]);
    s.press(keys::ENTER);
    wait_run(&s, first);
    assert!(!s.find("#unpin").property("hidden").as_bool().unwrap());

    // Two evening groups in two rooms, from the keyboard, against it.
    type_into(&s, "#lever-rooms_group-room_count", "2");
    wait_shown_with(&s, "number of group-room rooms: 1 \u{2192} 2");
    s.find("#lever-units_iop_tracks_evening_groups").click();
    s.press(keys::ARROW_UP);
    wait_shown_with(&s, "evening groups: 1 \u{2192} 2");
    let shot = s.screenshot_png();
    let (w, _) = png_size(&shot);
    assert_eq!(w, 1366);
    if std::env::var_os("IOPSIM_WRITE_SCREENSHOTS").is_some() {
        s.set_window_size(1366, 1700);
        std::thread::sleep(Duration::from_millis(300));
        write_screenshot(&s, "planner-desktop.png");
    }

    // A phone: one column, nothing wider than the screen.
    s.set_window_size(390, 900);
    let overflow = s
        .wait_for(
            "the page to lay out at phone width",
            "return window.innerWidth <= 400 ? [document.documentElement.scrollWidth, window.innerWidth] : null;",
            LONG,
        );
    let (scroll, inner) = (overflow[0].as_u64().unwrap(), overflow[1].as_u64().unwrap());
    let wide = s.execute(
        "return Array.from(document.querySelectorAll('body *')).filter(function (e) {
           return e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest('.wide');
         }).slice(0, 8).map(function (e) { return e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right); });",
        vec![],
    );
    assert!(
        scroll <= inner,
        "the page is {scroll} px wide on a {inner} px screen: {wide}"
    );
    let shot = s.screenshot_png();
    assert_eq!(png_size(&shot).0, 390);
    if std::env::var_os("IOPSIM_WRITE_SCREENSHOTS").is_some() {
        write_screenshot(&s, "planner-phone.png");
    }
    let errors = errors_in_log(&s);
    assert!(errors.is_empty(), "errors in the console: {errors:?}");
}

fn write_screenshot(s: &Session, name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("docs")
        .join(name);
    std::fs::write(&path, s.screenshot_png()).unwrap();
    println!("wrote {}", path.display());
}
