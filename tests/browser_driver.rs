//! The WebDriver client in tests/common/webdriver.rs, against a page this
//! test serves itself: typing, clicking, the keyboard, screenshots at two
//! window sizes and the console, in headless Chromium via chromedriver.

mod common;

use common::webdriver::{base64_decode, keys, read_response, Driver};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>driver probe</title></head>
<body>
<label for="n">Number</label> <input id="n" type="number" value="1">
<button id="b" type="button">Double</button>
<output id="o" for="n"></output>
<script>
document.getElementById('b').addEventListener('click', function () {
  document.getElementById('o').textContent = String(Number(document.getElementById('n').value) * 2);
});
console.error('probe');
</script>
</body></html>
"#;

/// Serves `PAGE` for every request, on a port of its own; returns its URL.
fn serve_page() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let mut reader = BufReader::new(&stream);
            let mut line = String::new();
            // The request line and headers, up to the empty line.
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line == "\r\n" || line == "\n" {
                    break;
                }
                line.clear();
            }
            let _ = (&stream).write_all(
                format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{PAGE}",
                    PAGE.len()
                )
                .as_bytes(),
            );
        }
    });
    url
}

/// Width and height from a PNG's IHDR chunk (bytes 16..24).
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.len() > 24, "a PNG of {} bytes", png.len());
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "the PNG signature");
    assert_eq!(&png[12..16], b"IHDR", "IHDR comes first");
    let word = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    (word(16), word(20))
}

#[test]
fn drives_a_page_through_chromedriver() {
    let started = Instant::now();
    let Some(driver) = Driver::start() else {
        if std::env::var_os("CI").is_some() {
            panic!("chromedriver is not installed; .ci/run installs it");
        }
        eprintln!("SKIPPED: chromedriver or chromium is not installed");
        return;
    };
    let url = serve_page();
    let s = driver.session(1000, 700);
    s.goto(&url);
    assert_eq!(
        s.execute("return document.title", vec![]),
        "driver probe",
        "the page loaded"
    );

    // Type, click, read.
    let n = s.find("#n");
    n.clear();
    n.send_keys("21");
    assert_eq!(n.property("value"), "21");
    s.find("#b").click();
    s.wait_for(
        "the output to read 42",
        "return document.getElementById('o').textContent === '42'",
        Duration::from_secs(10),
    );
    assert_eq!(s.find("#o").text(), "42");

    // Elements: absent, several, attributes, as script arguments.
    assert!(s.try_find("#absent").is_none());
    assert_eq!(s.find_all("input, button, output").len(), 3);
    assert_eq!(s.find("label").attribute("for").as_deref(), Some("n"));
    assert_eq!(n.attribute("data-none"), None);
    assert_eq!(
        s.execute(
            "return arguments[0].id + arguments[1]",
            vec![n.json(), 7.into()]
        ),
        "n7"
    );
    assert_eq!(
        s.execute_async(
            "var args = arguments; setTimeout(function () { args[1](args[0] * 21); }, 10);",
            vec![2.into()]
        ),
        42
    );

    // Failures name what failed and carry the WebDriver error's message.
    let message = |f: &dyn Fn()| {
        let err = catch_unwind(AssertUnwindSafe(f)).expect_err("it panics");
        err.downcast_ref::<String>().cloned().unwrap_or_default()
    };
    let m = message(&|| {
        s.find("#absent");
    });
    assert!(m.contains("#absent"), "{m}");
    let m = message(&|| {
        s.execute("throw new Error('boom')", vec![]);
    });
    assert!(m.contains("javascript error") && m.contains("boom"), "{m}");
    let m = message(&|| {
        s.wait_for("never", "return 0", Duration::from_millis(100));
    });
    assert!(m.contains("never") && m.contains("returned 0"), "{m}");

    // The keyboard: Tab reaches the button, Enter activates it.
    n.clear();
    n.send_keys("5");
    assert_eq!(s.active().attribute("id").as_deref(), Some("n"));
    s.press(keys::TAB);
    assert_eq!(s.active().attribute("id").as_deref(), Some("b"));
    assert_eq!(s.active(), s.find("#b"), "one element, one id");
    s.press(keys::ENTER);
    s.wait_for(
        "the output to read 10",
        "return document.getElementById('o').textContent === '10' && 'ten'",
        Duration::from_secs(10),
    );
    assert_eq!(s.find("#o").text(), "10");
    // Shift+Tab back to the number, the arrow keys step it, Space presses
    // the button.
    s.press(&format!("{}{}", keys::SHIFT, keys::TAB));
    assert_eq!(s.active().attribute("id").as_deref(), Some("n"));
    s.press(&format!("{0}{0}{0}{1}", keys::ARROW_UP, keys::ARROW_DOWN));
    assert_eq!(n.property("value"), "7");
    s.press(&format!("{}3", keys::BACKSPACE));
    assert_eq!(n.property("value"), "3");
    s.press(&format!("{}{}", keys::TAB, keys::SPACE));
    s.wait_for(
        "the output to read 6",
        "return document.getElementById('o').textContent === '6'",
        Duration::from_secs(10),
    );

    // Screenshots at two window sizes: each is the viewport, as wide as
    // the window. (Headless Chromium 156 leaves room for browser controls
    // it does not draw: the viewport is shorter than the window.)
    let viewport = || {
        let v = s.execute("return [innerWidth, innerHeight]", vec![]);
        (v[0].as_u64().unwrap() as u32, v[1].as_u64().unwrap() as u32)
    };
    let (w, h) = png_size(&s.screenshot_png());
    eprintln!(
        "1000x700 window: screenshot {w}x{h}, viewport {:?}",
        viewport()
    );
    assert_eq!(w, 1000, "the screenshot is as wide as the window");
    assert_eq!((w, h), viewport(), "the screenshot is the viewport");
    s.set_window_size(390, 800);
    let (w, h) = png_size(&s.screenshot_png());
    eprintln!(
        "390x800 window: screenshot {w}x{h}, viewport {:?}",
        viewport()
    );
    assert_eq!(w, 390, "the screenshot after resizing");
    assert_eq!((w, h), viewport(), "the screenshot is the viewport");

    // The console.
    let log = s.browser_log();
    assert!(
        log.iter()
            .any(|l| l.contains("probe") && l.starts_with("SEVERE")),
        "console.error('probe') in the browser log: {log:?}"
    );

    drop(s);
    drop(driver);
    eprintln!("browser_driver: {:.1} s", started.elapsed().as_secs_f64());
}

#[test]
fn reads_http_responses() {
    let read = |raw: &str| {
        let (status, body) = read_response(&mut raw.as_bytes()).unwrap();
        (status, String::from_utf8(body).unwrap())
    };
    // chromedriver's way: no space after the colon.
    assert_eq!(
        read("HTTP/1.1 200 OK\r\nContent-Length:14\r\nContent-Type:application/json\r\n\r\n{\"value\":null}"),
        (200, r#"{"value":null}"#.to_string())
    );
    assert_eq!(
        read("HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\n{}trailing"),
        (404, "{}".to_string())
    );
    assert_eq!(
        read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"va\r\nA;x=y\r\nlue\":null}\r\n0\r\nX-Trailer: 1\r\n\r\n"),
        (200, r#"{"value":null}"#.to_string())
    );
    assert_eq!(
        read("HTTP/1.0 500 Oops\r\n\r\nto the end"),
        (500, "to the end".to_string())
    );
    assert!(
        read_response(&mut "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort".as_bytes()).is_err()
    );
    assert!(read_response(&mut "".as_bytes()).is_err());
}

/// Standard base64, for checking the decoder on every length and byte.
fn encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(DIGITS[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_decodes() {
    // RFC 4648, section 10.
    for (plain, coded) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64_decode(coded), plain.as_bytes(), "{coded}");
        assert_eq!(encode(plain.as_bytes()), coded);
        // Padding is optional; whitespace is ignored.
        assert_eq!(base64_decode(coded.trim_end_matches('=')), plain.as_bytes());
    }
    assert_eq!(base64_decode("Zm9v\r\nYmFy\n"), b"foobar");
    assert_eq!(base64_decode("+/+/"), [0xfb, 0xff, 0xbf]);
    // The start of every PNG.
    assert_eq!(base64_decode("iVBORw0KGgo="), b"\x89PNG\r\n\x1a\n");
    // Every byte value, at every length mod 3.
    let all: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
    for len in 0..all.len() {
        let coded = encode(&all[..len]);
        assert_eq!(base64_decode(&coded), &all[..len], "length {len}");
    }
}

#[test]
#[should_panic(expected = "not a base64 digit")]
fn base64_refuses_other_bytes() {
    base64_decode("Zm9v!");
}
