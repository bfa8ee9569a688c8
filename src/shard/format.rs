//! A shard's trial file, `trials-<run>.bin`: the [`TrialRecord`]s of one
//! run's span of trials, in trial order, in a small binary format written
//! and read one record at a time (so neither side holds more than a trial).
//!
//! ```text
//! magic      8 bytes   "IOPSIMT" and the format version (1)
//! run        varint    the run's index in its shard.json
//! first, end varint    the span of trials held, first..end
//! records    end - first times: varint length, then the record's bytes:
//!              trial, events                                  varint
//!              summary: count, then each value                f64 LE
//!              weekly: count, then each series: weeks, values f32 LE
//!              units: count, then each unit: 9 outcome counts varint
//!                (referrals, no_shows, turned_away, reneged, admitted,
//!                completed, dropped_out, admin_discharged, stepped_up),
//!                waits: count, seconds each                   varint
//!                intake: 0, or 1 then count, seconds each     varint
//!              tracks: count, then each: count, seconds each  varint
//! checksum   8 bytes   FNV-1a 64 (LE) of every byte before it
//! ```
//!
//! Varints are LEB128 (7 bits a byte, low first). Summary values are kept
//! as the run keeps them (f64), weekly values as its columns do (f32), waits
//! as the simulation has them (whole seconds), so a record folds exactly
//! as the trial it came from.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::model::result::UnitCounts;
use crate::trials::{TrialRecord, UnitRecord};

/// The file's first 8 bytes: `IOPSIMT` and the format version.
pub const MAGIC: [u8; 8] = *b"IOPSIMT\x01";

/// A record longer than this is not one this format writes (a default
/// trial is about 4 KB): refused before reading it.
const MAX_RECORD_BYTES: u64 = 1 << 30;

/// 64-bit FNV-1a, streamed.
#[derive(Debug, Clone, Copy)]
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

fn put_varint(out: &mut Vec<u8>, mut x: u64) {
    while x >= 0x80 {
        out.push((x as u8) | 0x80);
        x >>= 7;
    }
    out.push(x as u8);
}

fn put_waits(out: &mut Vec<u8>, waits: &[u64]) {
    put_varint(out, waits.len() as u64);
    for &w in waits {
        put_varint(out, w);
    }
}

fn counts(c: &UnitCounts) -> [u64; 9] {
    [
        c.referrals,
        c.no_shows,
        c.turned_away,
        c.reneged,
        c.admitted,
        c.completed,
        c.dropped_out,
        c.admin_discharged,
        c.stepped_up,
    ]
}

/// The bytes of one record (without its length).
pub fn encode(r: &TrialRecord, out: &mut Vec<u8>) {
    put_varint(out, r.trial);
    put_varint(out, r.events);
    put_varint(out, r.summary.len() as u64);
    for x in &r.summary {
        out.extend_from_slice(&x.to_le_bytes());
    }
    put_varint(out, r.weekly.len() as u64);
    for s in &r.weekly {
        put_varint(out, s.len() as u64);
        for x in s {
            out.extend_from_slice(&x.to_le_bytes());
        }
    }
    put_varint(out, r.units.len() as u64);
    for u in &r.units {
        for c in counts(&u.counts) {
            put_varint(out, c);
        }
        put_waits(out, &u.waits);
        match &u.intake {
            None => out.push(0),
            Some(w) => {
                out.push(1);
                put_waits(out, w);
            }
        }
    }
    put_varint(out, r.tracks.len() as u64);
    for t in &r.tracks {
        put_waits(out, t);
    }
}

/// Reads a record's bytes; every error says what was malformed.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| format!("the record ends early (at byte {})", self.at))?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut x = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            x |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(x);
            }
        }
        Err(format!("a number runs past 64 bits (at byte {})", self.at))
    }

    /// A count of items of at least `min_bytes` each: never more than the
    /// bytes left could hold, so a bad count cannot allocate much.
    fn count(&mut self, min_bytes: usize) -> Result<usize, String> {
        let n = self.varint()?;
        let left = (self.bytes.len() - self.at) as u64;
        if n.saturating_mul(min_bytes as u64) > left {
            return Err(format!(
                "a count of {n} at byte {} is more than the record holds",
                self.at
            ));
        }
        Ok(n as usize)
    }

    fn waits(&mut self) -> Result<Vec<u64>, String> {
        let n = self.count(1)?;
        (0..n).map(|_| self.varint()).collect()
    }
}

/// One record from its bytes.
pub fn decode(bytes: &[u8]) -> Result<TrialRecord, String> {
    let mut c = Cursor { bytes, at: 0 };
    let trial = c.varint()?;
    let events = c.varint()?;
    let n = c.count(8)?;
    let summary = (0..n)
        .map(|_| Ok(f64::from_le_bytes(c.take(8)?.try_into().unwrap_or([0; 8]))))
        .collect::<Result<Vec<_>, String>>()?;
    let n = c.count(1)?;
    let mut weekly = Vec::with_capacity(n);
    for _ in 0..n {
        let weeks = c.count(4)?;
        let s = (0..weeks)
            .map(|_| Ok(f32::from_le_bytes(c.take(4)?.try_into().unwrap_or([0; 4]))))
            .collect::<Result<Vec<_>, String>>()?;
        weekly.push(s);
    }
    let n = c.count(11)?;
    let mut units = Vec::with_capacity(n);
    for _ in 0..n {
        let mut k = [0u64; 9];
        for x in &mut k {
            *x = c.varint()?;
        }
        let counts = UnitCounts {
            referrals: k[0],
            no_shows: k[1],
            turned_away: k[2],
            reneged: k[3],
            admitted: k[4],
            completed: k[5],
            dropped_out: k[6],
            admin_discharged: k[7],
            stepped_up: k[8],
        };
        let waits = c.waits()?;
        let intake = match c.take(1)?[0] {
            0 => None,
            1 => Some(c.waits()?),
            b => return Err(format!("an intake flag of {b} (0 or 1)")),
        };
        units.push(UnitRecord {
            counts,
            waits,
            intake,
        });
    }
    let n = c.count(1)?;
    let tracks = (0..n)
        .map(|_| c.waits())
        .collect::<Result<Vec<_>, String>>()?;
    if c.at != bytes.len() {
        return Err(format!(
            "{} bytes left over after the record",
            bytes.len() - c.at
        ));
    }
    Ok(TrialRecord {
        trial,
        events,
        summary,
        weekly,
        units,
        tracks,
    })
}

/// Writes a trial file, record by record.
pub struct Writer {
    path: PathBuf,
    out: BufWriter<File>,
    hash: Fnv,
    buf: Vec<u8>,
    next: u64,
    end: u64,
    bytes: u64,
}

impl Writer {
    /// Creates `path` for the records of trials `first..end` of run `run`.
    pub fn create(path: &Path, run: usize, first: u64, end: u64) -> anyhow::Result<Writer> {
        let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut w = Writer {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(1 << 16, file),
            hash: Fnv::new(),
            buf: Vec::new(),
            next: first,
            end,
            bytes: 0,
        };
        let mut head = MAGIC.to_vec();
        put_varint(&mut head, run as u64);
        put_varint(&mut head, first);
        put_varint(&mut head, end);
        w.put(&head)?;
        Ok(w)
    }

    fn put(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.hash.update(bytes);
        self.bytes += bytes.len() as u64;
        self.out
            .write_all(bytes)
            .with_context(|| format!("writing {}", self.path.display()))
    }

    /// Adds the next trial's record.
    pub fn push(&mut self, r: &TrialRecord) -> anyhow::Result<()> {
        anyhow::ensure!(
            r.trial == self.next && r.trial < self.end,
            "internal error: trial {} written where trial {} was due",
            r.trial,
            self.next
        );
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        encode(r, &mut buf);
        let mut len = Vec::with_capacity(5);
        put_varint(&mut len, buf.len() as u64);
        self.put(&len)?;
        self.put(&buf)?;
        self.buf = buf;
        self.next += 1;
        Ok(())
    }

    /// Ends the file with its checksum; returns its size in bytes.
    pub fn finish(mut self) -> anyhow::Result<u64> {
        anyhow::ensure!(
            self.next == self.end,
            "internal error: {} ends at trial {}, not {}",
            self.path.display(),
            self.next,
            self.end
        );
        let sum = self.hash.0.to_le_bytes();
        self.put(&sum)?;
        self.out
            .flush()
            .with_context(|| format!("writing {}", self.path.display()))?;
        Ok(self.bytes)
    }
}

/// Reads a trial file record by record, checking its head, its length and
/// its checksum; every error names the file.
pub struct Reader {
    path: PathBuf,
    input: BufReader<File>,
    hash: Fnv,
    buf: Vec<u8>,
    next: u64,
    end: u64,
    done: bool,
}

impl Reader {
    /// Opens `path`, which must hold trials `first..end` of run `run`.
    pub fn open(path: &Path, run: usize, first: u64, end: u64) -> anyhow::Result<Reader> {
        let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mut r = Reader {
            path: path.to_path_buf(),
            input: BufReader::with_capacity(1 << 16, file),
            hash: Fnv::new(),
            buf: Vec::new(),
            next: first,
            end,
            done: false,
        };
        let magic = r.read_exact(8).map_err(|e| r.error(e))?;
        if magic[..7] != MAGIC[..7] {
            return Err(r.error("not a trial file of iopsim (its first bytes are not IOPSIMT)"));
        }
        if magic[7] != MAGIC[7] {
            return Err(r.error(format!(
                "trial file format {}, this iopsim reads format {}",
                magic[7], MAGIC[7]
            )));
        }
        let head = [r.varint(), r.varint(), r.varint()];
        let head: Vec<u64> = head.into_iter().collect::<Result<_, _>>()?;
        if head != [run as u64, first, end] {
            return Err(r.error(format!(
                "holds run {} trials {}..{}, its shard.json says run {run} trials {first}..{end}",
                head[0], head[1], head[2]
            )));
        }
        Ok(r)
    }

    fn error(&self, what: impl std::fmt::Display) -> anyhow::Error {
        anyhow::anyhow!("{}: {what}", self.path.display())
    }

    /// Fills `buf` from the file (and the checksum).
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), String> {
        self.input.read_exact(buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => format!(
                "the file ends early, in trial {} (a partial copy?)",
                self.next
            ),
            _ => e.to_string(),
        })?;
        self.hash.update(buf);
        Ok(())
    }

    fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, String> {
        let mut buf = vec![0; n];
        self.fill(&mut buf)?;
        Ok(buf)
    }

    fn varint(&mut self) -> anyhow::Result<u64> {
        let mut x = 0u64;
        let mut b = [0u8; 1];
        for shift in (0..64).step_by(7) {
            self.fill(&mut b).map_err(|e| self.error(e))?;
            x |= u64::from(b[0] & 0x7f) << shift;
            if b[0] < 0x80 {
                return Ok(x);
            }
        }
        Err(self.error("a number runs past 64 bits"))
    }

    fn record(&mut self) -> anyhow::Result<TrialRecord> {
        let len = self.varint()?;
        if len > MAX_RECORD_BYTES {
            return Err(self.error(format!(
                "trial {} claims {len} bytes, more than a record can hold",
                self.next
            )));
        }
        // One buffer for every record, grown as the file's records need.
        let mut buf = std::mem::take(&mut self.buf);
        buf.resize(len as usize, 0);
        let read = self.fill(&mut buf);
        let r = read.and_then(|()| decode(&buf));
        self.buf = buf;
        let r = r.map_err(|e| self.error(format!("trial {}: {e}", self.next)))?;
        if r.trial != self.next {
            return Err(self.error(format!(
                "holds trial {} where trial {} was due",
                r.trial, self.next
            )));
        }
        self.next += 1;
        Ok(r)
    }

    /// After the last record: the checksum, then the end of the file.
    fn finish(&mut self) -> anyhow::Result<()> {
        let want = self.hash.0;
        let mut sum = [0u8; 8];
        self.input
            .read_exact(&mut sum)
            .map_err(|_| self.error("the file ends before its checksum (a partial copy?)"))?;
        if u64::from_le_bytes(sum) != want {
            return Err(self.error(
                "its checksum does not match its contents: the file is damaged; run the shard again",
            ));
        }
        let mut extra = [0u8; 1];
        match self.input.read(&mut extra) {
            Ok(0) => Ok(()),
            Ok(_) => Err(self.error("bytes after its checksum: not a file this iopsim wrote")),
            Err(e) => Err(self.error(e)),
        }
    }
}

impl Iterator for Reader {
    type Item = anyhow::Result<TrialRecord>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if self.next == self.end {
            self.done = true;
            return match self.finish() {
                Ok(()) => None,
                Err(e) => Some(Err(e)),
            };
        }
        let r = self.record();
        if r.is_err() {
            self.done = true;
        }
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(trial: u64) -> TrialRecord {
        TrialRecord {
            trial,
            events: 12_345,
            summary: vec![1.5, f64::NAN, -0.0, 1e300, 7.0],
            weekly: vec![vec![0.25, 3.0], vec![], vec![f32::INFINITY]],
            units: vec![
                UnitRecord {
                    counts: UnitCounts {
                        referrals: 9,
                        stepped_up: u64::MAX,
                        ..UnitCounts::default()
                    },
                    waits: vec![0, 127, 128, 86_400 * 400],
                    intake: Some(vec![3]),
                },
                UnitRecord::default(),
            ],
            tracks: vec![vec![5, 6], vec![]],
        }
    }

    #[test]
    fn records_round_trip_bit_for_bit() {
        let r = record(3);
        let mut bytes = Vec::new();
        encode(&r, &mut bytes);
        let back = decode(&bytes).unwrap();
        // NaN != NaN: compare the bits.
        assert_eq!(format!("{back:?}"), format!("{r:?}"));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.summary), bits(&r.summary));
        for cut in 0..bytes.len() {
            assert!(decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        bytes.push(0);
        assert!(decode(&bytes).unwrap_err().contains("left over"));
    }

    #[test]
    fn files_are_checked_head_length_and_checksum() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("trials-0.bin");
        let mut w = Writer::create(&path, 0, 4, 6).unwrap();
        w.push(&record(4)).unwrap();
        assert!(w.push(&record(9)).is_err());
        w.push(&record(5)).unwrap();
        let size = w.finish().unwrap();
        let good = std::fs::read(&path).unwrap();
        assert_eq!(size, good.len() as u64);
        let read = |run, first, end| -> Result<Vec<u64>, String> {
            Reader::open(&path, run, first, end)
                .and_then(|r| r.map(|x| x.map(|x| x.trial)).collect())
                .map_err(|e| e.to_string())
        };
        assert_eq!(read(0, 4, 6).unwrap(), vec![4, 5]);
        assert!(read(1, 4, 6).unwrap_err().contains("shard.json says run 1"));
        // A flipped bit, a cut, an extra byte: each named.
        let mut bad = good.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x10;
        std::fs::write(&path, &bad).unwrap();
        let e = read(0, 4, 6).unwrap_err();
        assert!(e.contains("trials-0.bin"), "{e}");
        std::fs::write(&path, &good[..good.len() - 3]).unwrap();
        assert!(read(0, 4, 6).unwrap_err().contains("before its checksum"));
        let mut long = good.clone();
        long.push(1);
        std::fs::write(&path, &long).unwrap();
        assert!(read(0, 4, 6).unwrap_err().contains("after its checksum"));
        std::fs::write(&path, b"PK\x03\x04 not ours").unwrap();
        assert!(read(0, 4, 6).unwrap_err().contains("not a trial file"));
    }
}
