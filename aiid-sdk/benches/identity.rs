//! End-to-end identity throughput as a ratio to bare SHA-256 over the same
//! canonical bytes, measured in the same process, interleaved, best of N.
//!
//! `cargo bench --bench identity` (add `-- --quick` for a 32 MiB large case).
//! The ratio is what to read: absolute numbers on a shared machine are noise.

use std::hint::black_box;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

include!("support/declaration.rs");

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn measure(name: &str, input: &[u8], rounds: usize, inner: usize) {
    let doc = aiid_sdk::parse(input).expect("benchmark input is valid");
    let canonical = aiid_sdk::scl_canon::to_vec(&doc);
    drop(doc);
    assert_eq!(
        aiid_sdk::identity(input).unwrap(),
        aiid_sdk::DocHash::of_canonical_bytes(&canonical)
    );
    let mut sha = Duration::MAX;
    let mut ours = Duration::MAX;
    // Interleave so that both see the same machine conditions.
    for _ in 0..rounds {
        sha = sha.min(best_of(1, || {
            for _ in 0..inner {
                black_box(Sha256::digest(black_box(&canonical)));
            }
        }));
        ours = ours.min(best_of(1, || {
            for _ in 0..inner {
                black_box(aiid_sdk::identity_parallel(black_box(input)).unwrap());
            }
        }));
    }
    let mib = |d: Duration| (canonical.len() * inner) as f64 / d.as_secs_f64() / (1024.0 * 1024.0);
    println!(
        "{name:>8}: input {:>10} B, canonical {:>10} B | sha256 {:>8.1} MiB/s | identity {:>8.1} MiB/s | ratio {:.3}",
        input.len(),
        canonical.len(),
        mib(sha),
        mib(ours),
        sha.as_secs_f64() / ours.as_secs_f64(),
    );
}

/// Inputs of about `size` bytes in shapes that stress different parser paths.
fn shapes(size: usize) -> Vec<(&'static str, Vec<u8>)> {
    let head = b"SCL:V1\n\nhandles {\n".to_vec();
    let repeat = |unit: &[u8], prefix: &[u8], suffix: &[u8]| {
        let mut v = prefix.to_vec();
        while v.len() < size {
            v.extend_from_slice(unit);
        }
        v.extend_from_slice(suffix);
        v
    };
    let with_head = |unit: &[u8], suffix: &[u8]| {
        let mut p = head.clone();
        p.extend_from_slice(b"  h(\"t\")\n}\nscl {\n");
        repeat(unit, &p, suffix)
    };
    vec![
        ("raw lines", with_head(b"short raw line\n", b"}")),
        ("quoted lines", with_head(b"  \"q\"\n", b"}")),
        ("raw, trailing LF (invalid)", with_head(b"x\n", b"}\n")),
        (
            "many handles",
            repeat(b"  h(\"a\",\"b\")\n", &head, b"}\nscl {\n}"),
        ),
        (
            "unterminated tag (invalid)",
            repeat(b"aaaaaaaa", b"SCL:V1\n\nhandles {\n  h(\"", b""),
        ),
    ]
}

/// Parse time must grow linearly: the ratio of times for inputs 8x apart
/// should be close to 8.
fn linearity(quick: bool) {
    let (small, large) = if quick {
        (1 << 20, 8 << 20)
    } else {
        (8 << 20, 64 << 20)
    };
    println!(
        "parse time scaling, {} MiB vs {} MiB inputs (linear = 8.0)",
        small >> 20,
        large >> 20
    );
    for ((name, a), (_, b)) in shapes(small).into_iter().zip(shapes(large)) {
        let ta = best_of(5, || {
            black_box(
                aiid_sdk::parse(black_box(&a))
                    .map(|d| d.handles().len())
                    .ok(),
            );
        });
        let tb = best_of(3, || {
            black_box(
                aiid_sdk::parse(black_box(&b))
                    .map(|d| d.handles().len())
                    .ok(),
            );
        });
        println!(
            "{name:>28}: {:>8.2} ms -> {:>8.2} ms, x{:.1}",
            ta.as_secs_f64() * 1e3,
            tb.as_secs_f64() * 1e3,
            tb.as_secs_f64() / ta.as_secs_f64()
        );
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    println!("identity throughput / bare SHA-256 throughput over the same canonical bytes (goal >= 0.8 on the large document)");
    measure("1 KiB", &declaration(1024), 30, 2000);
    let large = if quick { 32 << 20 } else { 256 << 20 };
    measure(
        if quick { "32 MiB" } else { "256 MiB" },
        &declaration(large),
        7,
        1,
    );
    linearity(quick);
}
