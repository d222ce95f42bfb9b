//! Passport verification throughput as a ratio to bare `ed25519-dalek`
//! signature verification of the same messages, measured in the same run.
//!
//! `cargo bench -p aiid-passport --bench verify` (goal: ratio >= 0.85).
//! Baselines, over each token's signing input with a pre-decoded key and
//! signature: `ed25519_dalek::Verifier::verify` (the headline ratio) and
//! `VerifyingKey::verify_strict` (what a strict verifier would naively call).

extern crate aiid_passport as passport;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey};
use passport::{FixedClock, Jwk, Jwks, KeyId, Policy, Verifier};
use std::hint::black_box;
use std::time::Instant;

const NOW: i64 = 1_714_694_400;
const N: usize = 1000;
const ROUNDS: usize = 200;
const BATCH: usize = 50;

fn token(key: &SigningKey, i: usize) -> String {
    let header = r#"{"alg":"EdDSA","typ":"JWT","kid":"k_bench"}"#;
    let payload = format!(
        r#"{{"iss":"https://aiidentity.org","sub":"aii_BENCH{i:08}","aud":"verifier","iat":{},"exp":{},"tier":"creator_verified","operator":"Acme Corp Ltd.","surfaces":["telegram:@acme_bot","wa:+441234567890"],"capabilities":["customer-support"],"key_id":"k_bench","registry_url":"https://aiidentity.org/whois/aii_BENCH{i:08}"}}"#,
        NOW - 100,
        NOW + 3600
    );
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

fn per_sec(n: usize, f: impl Fn()) -> f64 {
    let start = Instant::now();
    f();
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let key = SigningKey::from_bytes(&[42; 32]);
    let vk = key.verifying_key();
    let tokens: Vec<String> = (0..N).map(|i| token(&key, i)).collect();
    let bare: Vec<(Vec<u8>, Signature)> = tokens
        .iter()
        .map(|t| {
            let cut = t.rfind('.').unwrap_or(0);
            let sig = URL_SAFE_NO_PAD.decode(&t[cut + 1..]).unwrap_or_default();
            let sig: [u8; 64] = sig.try_into().unwrap_or([0; 64]);
            (t.as_bytes()[..cut].to_vec(), Signature::from_bytes(&sig))
        })
        .collect();
    let mut jwks = Jwks::new();
    jwks.push(Jwk::new(
        KeyId::new("k_bench").unwrap_or_else(|_| unreachable!()),
        vk,
    ))
    .unwrap_or_else(|_| unreachable!());
    let verifier = Verifier::new(Policy::new("https://aiidentity.org", "verifier"), jwks)
        .with_clock(FixedClock(NOW));
    assert!(tokens.iter().all(|t| verifier.verify(t).is_ok()));

    // Short interleaved batches, best of many: robust against other load on
    // the machine, and both sides see the same conditions.
    let (mut best_pass, mut best_strict, mut best_lax) = (0f64, 0f64, 0f64);
    for round in 0..ROUNDS {
        let lo = (round * BATCH) % N;
        let (toks, sigs) = (&tokens[lo..lo + BATCH], &bare[lo..lo + BATCH]);
        best_strict = best_strict.max(per_sec(BATCH, || {
            for (m, s) in sigs {
                black_box(vk.verify_strict(black_box(m), black_box(s)).is_ok());
            }
        }));
        best_pass = best_pass.max(per_sec(BATCH, || {
            for t in toks {
                black_box(verifier.verify(black_box(t)).is_ok());
            }
        }));
        best_lax = best_lax.max(per_sec(BATCH, || {
            for (m, s) in sigs {
                black_box(ed25519_dalek::Verifier::verify(&vk, black_box(m), black_box(s)).is_ok());
            }
        }));
    }
    println!("passport verify:            {best_pass:>10.0} tokens/s");
    println!(
        "overhead beyond the signature: {:.2} us/token",
        (1.0 / best_pass - 1.0 / best_lax) * 1e6
    );
    println!("ed25519-dalek verify_strict: {best_strict:>9.0} sigs/s");
    println!("ed25519-dalek verify (lax):  {best_lax:>9.0} sigs/s");
    println!(
        "ratio passport / ed25519-dalek verify        = {:.3} (goal >= 0.85)",
        best_pass / best_lax
    );
    println!(
        "ratio passport / ed25519-dalek verify_strict = {:.3}",
        best_pass / best_strict
    );
}
