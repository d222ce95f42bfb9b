//! Keys and tokens through mainstream tools written by others: `openssl`
//! (the command), Python `cryptography` and npm `jose`. Each test prints a
//! `SKIP:` line and passes when its tool is missing (npm `jose` is installed
//! by the test itself into the target directory, once, when npm and the
//! registry are reachable).
//!
//! The private key is written exactly as `aiid passport keygen` writes it:
//! [`generate_signing_key`] then [`signing_key_to_pem`] (RFC 8410 PKCS#8 v1),
//! with the public key published in a JWKS ([`Jwks::to_json_string`]).

extern crate aiid_passport as passport;
mod common;

use common::{AUD, ISS, NOW};
use passport::{
    generate_signing_key, signing_key_from_pem, signing_key_to_pem, Audience, Capability, Claims,
    FixedClock, IdentityId, Issuer, Jwk, Jwks, KeyId, NumericDate, Operator, Policy, Tier, Url,
    Verifier,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const KID: &str = "k_interop";

/// A fresh key as keygen writes it, its JWKS and one passport it issued.
struct Fixture {
    dir: PathBuf,
    pem_path: PathBuf,
    jwks_path: PathBuf,
    pem: String,
    x: String,
    token: String,
    jwks: Jwks,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fixture(name: &str) -> Fixture {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("passport-interop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = generate_signing_key().unwrap();
    let pem = signing_key_to_pem(&key).unwrap();
    let pem_path = dir.join("issuer.pem");
    std::fs::write(&pem_path, &pem).unwrap();
    let mut jwks = Jwks::new();
    jwks.push(Jwk::new(KeyId::new(KID).unwrap(), key.verifying_key()))
        .unwrap();
    let jwks_path = dir.join("jwks.json");
    std::fs::write(&jwks_path, jwks.to_json_string()).unwrap();
    let x = jwks.to_json()["keys"][0]["x"].as_str().unwrap().to_owned();
    let issuer = Issuer::new(&key, KeyId::new(KID).unwrap(), Url::new(ISS).unwrap()).unwrap();
    let claims = Claims::builder()
        .iss(Url::new(ISS).unwrap())
        .sub(IdentityId::new("aii_INTEROP1").unwrap())
        .aud(Audience::One(AUD.into()))
        .iat(NumericDate::new(NOW - 10).unwrap())
        .exp(NumericDate::new(NOW + 3600).unwrap())
        .tier(Tier::CreatorVerified)
        .operator(Operator::new("Interop Ltd.").unwrap())
        .surface("mcp:interop.example".parse().unwrap())
        .capability(Capability::new("interop").unwrap())
        .key_id(KeyId::new(KID).unwrap())
        .registry_url(Url::new(format!("{ISS}/whois/aii_INTEROP1")).unwrap())
        .build()
        .unwrap();
    let token = issuer.issue(&claims).unwrap();
    Fixture {
        dir,
        pem_path,
        jwks_path,
        pem,
        x,
        token,
        jwks,
    }
}

fn verifier(jwks: &Jwks) -> Verifier {
    Verifier::new(Policy::new(ISS, AUD), jwks.clone()).with_clock(FixedClock(NOW))
}

/// Runs a command; `None` (with a SKIP line) when the program cannot start.
fn run(program: &str, args: &[&str], env: &[(&str, &Path)]) -> Option<Output> {
    let mut cmd = Command::new(program);
    cmd.args(args).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    match cmd.output() {
        Ok(o) => Some(o),
        Err(e) => {
            eprintln!("SKIP: {program} is not available ({e})");
            None
        }
    }
}

fn ok(o: &Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what} failed ({}):\n{}{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn b64url(bytes: &[u8]) -> String {
    passport::b64url_encode(bytes)
}

#[test]
fn openssl_reads_keygen_keys_and_we_read_openssl_keys() {
    let f = fixture("openssl");
    let pem_path = f.pem_path.to_str().unwrap();
    let Some(o) = run("openssl", &["version"], &[]) else {
        return;
    };
    eprintln!("openssl: {}", ok(&o, "openssl version").trim());

    // A key from `openssl genpkey` is read, and written back byte for byte.
    // (An openssl without Ed25519, e.g. an old LibreSSL, is skipped here.)
    let theirs = f.dir.join("openssl.pem");
    let o = run(
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "ed25519",
            "-out",
            theirs.to_str().unwrap(),
        ],
        &[],
    )
    .unwrap();
    if !o.status.success() {
        eprintln!(
            "SKIP: this openssl cannot generate Ed25519 keys: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        );
        return;
    }
    let text = std::fs::read_to_string(&theirs).unwrap();
    let key = signing_key_from_pem(&text).unwrap();
    assert_eq!(signing_key_to_pem(&key).unwrap(), text);

    // The public key openssl derives from our private key is the JWKS x.
    let o = run(
        "openssl",
        &["pkey", "-in", pem_path, "-pubout", "-outform", "DER"],
        &[],
    )
    .unwrap();
    assert!(o.status.success(), "openssl pkey refused our key: {o:?}");
    // SubjectPublicKeyInfo of Ed25519: a 12-byte prefix, then the 32-byte key.
    assert_eq!(o.stdout.len(), 44, "{:?}", o.stdout);
    assert_eq!(b64url(&o.stdout[12..]), f.x);

    // openssl re-serializes the key exactly as we wrote it.
    let o = run("openssl", &["pkey", "-in", pem_path], &[]).unwrap();
    assert_eq!(
        ok(&o, "openssl pkey"),
        f.pem,
        "openssl rewrites our PEM differently"
    );
}

#[test]
fn python_cryptography_reads_keygen_keys_and_signs_tokens_we_verify() {
    let f = fixture("python");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/crypto_probe.py");
    let now = NOW.to_string();
    let Some(o) = run(
        "python3",
        &[script, f.pem_path.to_str().unwrap(), ISS, AUD, &now, KID],
        &[],
    ) else {
        return;
    };
    if o.status.code() == Some(77) {
        eprintln!("SKIP: Python `cryptography` is not importable (pip install cryptography)");
        return;
    }
    let out: Value = serde_json::from_str(&ok(&o, "crypto_probe.py")).unwrap();
    assert_eq!(out["x"], f.x.as_str(), "public key derived by cryptography");
    assert_eq!(
        out["pem"],
        f.pem.as_str(),
        "cryptography rewrites our PEM differently"
    );
    let token = out["token"].as_str().unwrap();
    let v = verifier(&f.jwks).verify(token).unwrap();
    assert_eq!(v.claims.sub.as_str(), "aii_PYTHON1");
}

/// Installs npm `jose` into the target directory once; `None` (with a SKIP
/// line) when node, npm or the registry is unavailable.
fn jose_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-jose");
    if dir.join("node_modules/jose/package.json").exists() {
        return Some(dir);
    }
    run("node", &["--version"], &[])?;
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("package.json"), "{\"private\":true}\n").unwrap();
    let o = Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--fetch-retries=0",
            "--fetch-timeout=30000",
            "jose@6",
        ])
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output();
    match o {
        Ok(o) if o.status.success() => Some(dir),
        Ok(o) => {
            eprintln!(
                "SKIP: `npm install jose` failed (offline?): {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            None
        }
        Err(e) => {
            eprintln!("SKIP: npm is not available ({e})");
            None
        }
    }
}

#[test]
fn npm_jose_reads_keys_verifies_our_tokens_and_signs_tokens_we_verify() {
    let f = fixture("jose");
    let Some(jose) = jose_dir() else {
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/jose_probe.mjs");
    let now = NOW.to_string();
    let Some(o) = run(
        "node",
        &[
            script,
            f.pem_path.to_str().unwrap(),
            f.jwks_path.to_str().unwrap(),
            &f.token,
            ISS,
            AUD,
            &now,
            KID,
        ],
        &[("JOSE_DIR", &jose)],
    ) else {
        return;
    };
    let out: Value = serde_json::from_str(&ok(&o, "jose_probe.mjs")).unwrap();
    // importPKCS8 read our key, and exportPKCS8 writes the same PKCS#8 v1.
    assert_eq!(
        out["exported_pem"].as_str().unwrap().trim_end(),
        f.pem.trim_end()
    );
    // jwtVerify accepted our token against our JWKS (createLocalJWKSet).
    assert_eq!(out["payload"]["sub"], "aii_INTEROP1");
    assert_eq!(out["protectedHeader"]["kid"], KID);
    assert_eq!(out["protectedHeader"]["alg"], "EdDSA");
    // A token jose signed verifies under our strict verifier.
    let v = verifier(&f.jwks)
        .verify(out["signed"].as_str().unwrap())
        .unwrap();
    assert_eq!(v.claims.sub.as_str(), "aii_JOSE1");
    assert_eq!(v.claims.tier, Tier::IdentityVerified);
    assert_eq!(v.header.kid.as_ref().map(KeyId::as_str), Some(KID));
}
