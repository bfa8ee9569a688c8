//! A running `iopsim serve` for the tests and the planner bench: started on
//! a free port, its banner read for the address, killed when dropped.
#![allow(dead_code)] // each test crate uses some of it

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

pub struct Serve {
    child: Child,
    pub port: u16,
    /// The page's address as printed (with `?token=` when there is one).
    pub url: String,
    /// The first line it printed.
    pub banner: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `iopsim serve --port 0 --threads 2 ARGS`, once it is listening.
pub fn serve(args: &[&str]) -> Serve {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iopsim"))
        .args(["serve", "--port", "0", "--threads", "2"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("iopsim serve starts");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut banner = String::new();
    out.read_line(&mut banner).unwrap();
    let url = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in {banner:?}"))
        .to_string();
    let port = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .and_then(|hostport| hostport.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {banner:?}"));
    // Keep reading its output so it never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = out.read_to_string(&mut sink);
    });
    Serve {
        child,
        port,
        url,
        banner,
    }
}
