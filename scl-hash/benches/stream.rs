//! In-process ratios of the streaming identity engine to bare SHA-256 over
//! the same canonical bytes, measured in the same run, interleaved, best of
//! N rounds. Also: which SHA-256 is fastest here (sha2, which picks SHA-NI at
//! run time when the CPU has it, against ring).
//!
//! `cargo bench -p scl-hash --bench stream` (add `-- --quick` for fewer rounds).
//! Read the ratios; absolute numbers on a shared machine are noise.
//!
//! Each row also times the engine alone (canonical bytes dropped, not
//! hashed), as a multiple of SHA-256's time, and the ratio the streamed
//! identity would have if the two simply added up, SHA / (SHA + engine):
//! when "ratio streamed" is close to that bound, nothing of the engine's
//! work is hidden behind SHA-256's rounds.

use std::hint::black_box;
use std::time::{Duration, Instant};

use scl_hash::stream::{identity_streamed, CanonicalStream, Sink};
use scl_hash::DocHash;
use sha2::{Digest, Sha256};

// The declaration shape of `aiid-sdk`'s `identity` bench (the same file).
include!("../../aiid-sdk/benches/support/declaration.rs");

/// Quoted-mode lines of roughly `target` bytes.
fn quoted(target: usize) -> Vec<u8> {
    let mut doc = String::from("SCL:V1\n\nhandles {\n  h(\"t\")\n}\nscl {\n");
    while doc.len() + 2 < target {
        doc.push_str("  \"Summarise the report \\ keep figures, é ok\"\n");
    }
    doc.push('}');
    doc.into_bytes()
}

/// Raw-mode prose with `"`, `\\`, é and an emoji on every line (a stop every
/// few bytes), like the heavy shape of `scripts/bench-cli.sh`.
fn heavy(target: usize) -> Vec<u8> {
    let mut doc = String::from("SCL:V1\n\nhandles {\n  h(\"t\")\n}\nscl {\n");
    while doc.len() + 2 < target {
        doc.push_str("He wrote \"see C:\\data\\q3.csv\" and a café résumé 😀 — \"done\" \\ ok\n");
    }
    doc.push('}');
    doc.into_bytes()
}

/// Short handles of roughly `target` bytes.
fn handles(target: usize) -> Vec<u8> {
    let mut doc = String::from("SCL:V1\n\nhandles {\n");
    let mut i = 0;
    while doc.len() + 12 < target {
        doc.push_str(&format!("  h{i}(\"a\")\n"));
        i += 1;
    }
    doc.push_str("}\nscl {\n}");
    doc.into_bytes()
}

/// A sink that drops the canonical bytes (the engine's own work, without
/// hashing); `black_box` keeps the writes from being optimised out.
struct Discard(usize);

impl Sink for Discard {
    type Error = core::convert::Infallible;
    fn put(&mut self, bytes: &[u8]) -> Result<(), Self::Error> {
        self.0 += black_box(bytes.len());
        Ok(())
    }
}

fn engine_alone(input: &[u8]) -> Option<usize> {
    let mut engine = CanonicalStream::new(Discard(0));
    engine.feed(input).ok()?;
    engine.finish().ok().map(|sink| sink.0)
}

fn time(inner: usize, mut f: impl FnMut()) -> Duration {
    let t = Instant::now();
    for _ in 0..inner {
        f();
    }
    t.elapsed()
}

fn measure(name: &str, input: &[u8], rounds: usize, inner: usize) {
    let canonical = scl_canon::to_vec(&scl_parse::parse(input).expect("valid bench input"));
    let expected = DocHash::of_canonical_bytes(&canonical);
    assert_eq!(identity_streamed(input), Ok(expected));
    assert_eq!(engine_alone(input), Some(canonical.len()));
    let (mut sha, mut streamed, mut in_memory) = (Duration::MAX, Duration::MAX, Duration::MAX);
    let mut alone = Duration::MAX;
    for _ in 0..rounds {
        alone = alone.min(time(inner, || {
            black_box(engine_alone(black_box(input)));
        }));
        sha = sha.min(time(inner, || {
            black_box(Sha256::digest(black_box(&canonical)));
        }));
        streamed = streamed.min(time(inner, || {
            black_box(identity_streamed(black_box(input)).ok());
        }));
        in_memory = in_memory.min(time(inner, || {
            black_box(
                scl_parse::parse(black_box(input))
                    .map(|d| DocHash::of_document(&d))
                    .ok(),
            );
        }));
    }
    let ratio = |d: Duration| sha.as_secs_f64() / d.as_secs_f64();
    println!(
        "{name:>22}: input {:>9} B, canonical {:>9} B | ratio streamed {:.3} | in-memory parse+canon {:.3} | engine alone {:.2} x SHA, no-overlap bound {:.3}",
        input.len(),
        canonical.len(),
        ratio(streamed),
        ratio(in_memory),
        alone.as_secs_f64() / sha.as_secs_f64(),
        sha.as_secs_f64() / (sha + alone).as_secs_f64(),
    );
}

fn sha_backends(quick: bool) {
    let data = vec![0x61u8; 16 << 20];
    let rounds = if quick { 3 } else { 7 };
    let (mut sha2_t, mut ring_t) = (Duration::MAX, Duration::MAX);
    for _ in 0..rounds {
        sha2_t = sha2_t.min(time(1, || {
            black_box(Sha256::digest(black_box(&data)));
        }));
        ring_t = ring_t.min(time(1, || {
            black_box(ring::digest::digest(
                &ring::digest::SHA256,
                black_box(&data),
            ));
        }));
    }
    let mib = |d: Duration| 16.0 / d.as_secs_f64();
    println!(
        "SHA-256 over 16 MiB: sha2 {:.0} MiB/s, ring {:.0} MiB/s (ring / sha2 = {:.3})",
        mib(sha2_t),
        mib(ring_t),
        sha2_t.as_secs_f64() / ring_t.as_secs_f64()
    );
}

fn main() {
    // `--engine-only N [KIB]`: run the engine alone N times over the
    // declaration of KIB KiB (default 1) and nothing else, for an
    // instruction counter (`scripts/count-engine.sh` runs it under Valgrind).
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--engine-only") {
        let n: usize = args.get(at + 1).and_then(|v| v.parse().ok()).unwrap_or(0);
        let kib: usize = args.get(at + 2).and_then(|v| v.parse().ok()).unwrap_or(1);
        let input = declaration(kib * 1024);
        for _ in 0..n {
            black_box(engine_alone(black_box(&input)));
        }
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let r = if quick { 5 } else { 15 };
    sha_backends(quick);
    println!("streamed identity / bare SHA-256 of the canonical bytes, in process (goal: >= 0.8 at 1 KiB)");
    measure("1 KiB declaration", &declaration(1024), r, 4000);
    measure("16 KiB declaration", &declaration(16 * 1024), r, 400);
    measure("16 KiB quoted lines", &quoted(16 * 1024), r, 400);
    measure("16 KiB heavy prose", &heavy(16 * 1024), r, 400);
    measure("16 KiB short handles", &handles(16 * 1024), r, 400);
    measure("8 MiB declaration", &declaration(8 << 20), r.min(7), 1);
}
