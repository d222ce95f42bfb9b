//! `aiid passport …` subcommands: keygen, issue, verify, inspect, engine.
//!
//! Exit status: 0 success (token valid), 1 token invalid, 2 usage or I/O error.

use passport::{
    Audience, Capability, Claims, IdentityId, Issuer, Jwks, KeyId, NumericDate, Operator,
    PassportError, Policy, RevocationList, Surface, SystemClock, Tier, Url, Verifier,
};
use serde::Serialize;
use serde_json::Value;

use super::InvalidAnswer;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Subcommands of `aiid passport`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum PassportCommand {
    /// Generate an Ed25519 key: the private key as PKCS#8 v1 PEM (RFC 8410, as
    /// `openssl genpkey -algorithm ed25519` writes it), the public key
    /// added to a JWKS file (created if absent; several keys for rotation).
    Keygen {
        /// Key id for the new key.
        #[arg(long)]
        kid: KeyId,
        /// Where to write the private key (must not exist).
        #[arg(long, value_name = "FILE")]
        private_key: PathBuf,
        /// The JWKS file to create or add the public key to.
        #[arg(long, value_name = "FILE")]
        jwks: PathBuf,
    },
    /// Issue a passport and print the token.
    Issue {
        /// The issuer's private key (PKCS#8 v1 or v2 PEM).
        #[arg(long, value_name = "FILE")]
        private_key: PathBuf,
        /// Key id (header kid and key_id claim).
        #[arg(long)]
        kid: KeyId,
        /// Issuer URL (iss).
        #[arg(long, value_name = "URL")]
        iss: Url,
        /// Identity id (sub), e.g. aii_HMB77VQ527B5Z062CNE31D.
        #[arg(long, value_name = "ID")]
        sub: IdentityId,
        /// Audience (aud).
        #[arg(long)]
        aud: String,
        /// Trust tier: issued, identity_verified, creator_verified, business_verified.
        #[arg(long)]
        tier: Tier,
        /// Operator: `anon` or a display name.
        #[arg(long, value_name = "NAME")]
        operator: Operator,
        /// A surface (kind:value); repeatable.
        #[arg(long = "surface", value_name = "S")]
        surfaces: Vec<Surface>,
        /// A capability; repeatable.
        #[arg(long = "capability", value_name = "C")]
        capabilities: Vec<Capability>,
        /// Lifetime in seconds (exp = iat + ttl).
        #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3_153_600_000))]
        ttl: u64,
        /// Registry URL of the identity [default: <iss>/whois/<sub>].
        #[arg(long, value_name = "URL")]
        registry_url: Option<Url>,
        /// Passport id (jti), for passport-level revocation.
        #[arg(long)]
        jti: Option<String>,
        /// Issue as of this Unix time instead of now.
        #[arg(long, value_name = "SECONDS", hide = true)]
        now: Option<i64>,
    },
    /// Verify a passport. Exit 0 valid (prints the claims), 1 invalid (prints the reason).
    Verify {
        /// The issuer's JWKS file.
        #[arg(long, value_name = "FILE")]
        jwks: PathBuf,
        /// Accepted issuer URL; repeatable.
        #[arg(long = "iss", value_name = "URL", required = true)]
        issuers: Vec<String>,
        /// This verifier's audience.
        #[arg(long)]
        aud: String,
        /// Minimum tier.
        #[arg(long, value_name = "T", default_value = "issued")]
        min_tier: Tier,
        /// Clock-skew leeway in seconds.
        #[arg(long, value_name = "SECONDS", default_value_t = passport::DEFAULT_LEEWAY_SECS)]
        leeway: u64,
        /// A revocation list file (JSON); revoked passports are invalid.
        #[arg(long, value_name = "FILE")]
        revocations: Option<PathBuf>,
        /// Verify as of this Unix time instead of now.
        #[arg(long, value_name = "SECONDS")]
        now: Option<i64>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// The token, or `-` to read it from standard input.
        #[arg(value_name = "TOKEN|-")]
        token: String,
    },
    /// Decode a token WITHOUT verifying anything (for debugging only).
    Inspect {
        /// The token, or `-` to read it from standard input.
        #[arg(value_name = "TOKEN|-")]
        token: String,
    },
    /// Conformance protocol: read one JSON request on stdin, print one JSON
    /// result line (see spec/passport.md).
    Engine,
}

/// Runs one `aiid passport` subcommand and returns the process exit code.
pub(crate) fn run(cmd: PassportCommand) -> ExitCode {
    let result = match cmd {
        PassportCommand::Keygen {
            kid,
            private_key,
            jwks,
        } => keygen(kid, &private_key, &jwks),
        PassportCommand::Issue {
            private_key,
            kid,
            iss,
            sub,
            aud,
            tier,
            operator,
            surfaces,
            capabilities,
            ttl,
            registry_url,
            jti,
            now,
        } => {
            let registry_url = match registry_url {
                Some(u) => Ok(u),
                None => Url::new(format!(
                    "{}/whois/{}",
                    iss.as_str().trim_end_matches('/'),
                    sub
                ))
                .map_err(|e| e.to_string()),
            };
            registry_url.and_then(|registry_url| {
                let iat = now.unwrap_or_else(|| passport::Clock::now(&SystemClock));
                let exp = iat.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX));
                let date = |t: i64| NumericDate::new(t).map_err(|e| e.to_string());
                let claims = Claims::builder()
                    .iss(iss.clone())
                    .sub(sub)
                    .aud(Audience::One(aud))
                    .iat(date(iat)?)
                    .exp(date(exp)?)
                    .jti(jti)
                    .tier(tier)
                    .operator(operator)
                    .surfaces(surfaces)
                    .capabilities(capabilities)
                    .key_id(kid.clone())
                    .registry_url(registry_url)
                    .build()
                    .map_err(|e| e.to_string())?;
                issue(&private_key, kid, iss, &claims)
            })
        }
        PassportCommand::Verify {
            jwks,
            issuers,
            aud,
            min_tier,
            leeway,
            revocations,
            now,
            json,
            token,
        } => {
            let policy = Policy::for_issuers(issuers, aud)
                .with_leeway(leeway)
                .with_min_tier(min_tier);
            return verify(&jwks, policy, revocations.as_deref(), now, json, &token);
        }
        PassportCommand::Inspect { token } => return inspect(&token),
        PassportCommand::Engine => return engine(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aiid passport: {e}");
            ExitCode::from(2)
        }
    }
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn keygen(kid: KeyId, private_key: &Path, jwks_path: &Path) -> Result<(), String> {
    let mut set = if jwks_path.exists() {
        Jwks::from_json(&read(jwks_path)?).map_err(|e| format!("{}: {e}", jwks_path.display()))?
    } else {
        Jwks::new()
    };
    let key = passport::generate_signing_key().map_err(|e| e.to_string())?;
    set.push(passport::Jwk::new(kid, key.verifying_key()))
        .map_err(|e| e.to_string())?;
    let pem = passport::signing_key_to_pem(&key).map_err(|e| e.to_string())?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(private_key)
        .map_err(|e| format!("{}: {e}", private_key.display()))?;
    f.write_all(pem.as_bytes())
        .map_err(|e| format!("{}: {e}", private_key.display()))?;
    std::fs::write(jwks_path, set.to_json_string())
        .map_err(|e| format!("{}: {e}", jwks_path.display()))?;
    Ok(())
}

fn issue(private_key: &Path, kid: KeyId, iss: Url, claims: &Claims) -> Result<(), String> {
    let key = passport::signing_key_from_pem(&read(private_key)?)
        .map_err(|e| format!("{}: {e}", private_key.display()))?;
    let issuer = Issuer::new(&key, kid, iss).map_err(|e| e.to_string())?;
    let token = issuer.issue(claims).map_err(|e| e.to_string())?;
    outln!("{token}");
    Ok(())
}

fn read_token(arg: &str) -> Result<String, String> {
    if arg != "-" {
        return Ok(arg.to_owned());
    }
    // Read at most a little more than the cap: anything longer is rejected
    // by the verifier's size check without being held in memory.
    let mut buf = Vec::new();
    std::io::stdin()
        .take((passport::MAX_TOKEN_BYTES + 4096) as u64)
        .read_to_end(&mut buf)
        .map_err(|e| format!("standard input: {e}"))?;
    let text = String::from_utf8_lossy(&buf);
    Ok(text
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .to_owned())
}

fn verify(
    jwks_path: &Path,
    policy: Policy,
    revocations: Option<&Path>,
    now: Option<i64>,
    json_out: bool,
    token: &str,
) -> ExitCode {
    let setup = || -> Result<(Verifier, String), String> {
        let set = Jwks::from_json(&read(jwks_path)?)
            .map_err(|e| format!("{}: {e}", jwks_path.display()))?;
        let mut v = Verifier::new(policy, set);
        if let Some(n) = now {
            v = v.with_clock(passport::FixedClock(n));
        }
        if let Some(p) = revocations {
            let list = RevocationList::from_json(&read(p)?)
                .map_err(|e| format!("{}: {e}", p.display()))?;
            v = v.with_revocation(list);
        }
        Ok((v, read_token(token)?))
    };
    let (verifier, token) = match setup() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("aiid passport verify: {e}");
            return ExitCode::from(2);
        }
    };
    match verifier.verify(&token) {
        Ok(v) => {
            let claims = Value::Object(v.raw_claims());
            if json_out {
                outln!(
                    "{}",
                    serde_json::to_string(&ValidAnswer {
                        claims: &claims,
                        valid: true
                    })
                    .unwrap_or_default()
                );
            } else {
                outln!(
                    "valid: {} ({}, operator {:?})",
                    v.claims.sub,
                    v.claims.tier,
                    v.claims.operator.as_str()
                );
                outln!(
                    "{}",
                    serde_json::to_string_pretty(&claims).unwrap_or_default()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            print_invalid(&e, json_out);
            ExitCode::from(1)
        }
    }
}

fn print_invalid(e: &PassportError, json_out: bool) {
    if json_out {
        let out = InvalidAnswer {
            claim: e.claim(),
            ..InvalidAnswer::new(e.code().as_str(), e)
        };
        outln!("{}", out.to_json());
    } else {
        outln!("invalid: {}: {e}", e.code());
    }
}

/// `passport verify --json` of a valid token.
#[derive(Serialize)]
struct ValidAnswer<'a> {
    claims: &'a Value,
    valid: bool,
}

/// `passport inspect`: what the token says, and that nothing was checked
/// (fields in alphabetical order, as always printed).
#[derive(Serialize)]
struct Inspected<'a> {
    header: &'a Value,
    payload: &'a Value,
    signature_bytes: usize,
    verified: bool,
    warning: &'static str,
}

const WARNING: &str = "WARNING: UNVERIFIED. Decoded WITHOUT checking the signature, key, issuer, audience, expiry or revocation. Do not trust anything below.";

fn inspect(arg: &str) -> ExitCode {
    let token = match read_token(arg) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("aiid passport inspect: {e}");
            return ExitCode::from(2);
        }
    };
    eprintln!("{WARNING}");
    match passport::inspect_untrusted(&token) {
        Ok(u) => {
            let out = Inspected {
                header: &u.header,
                payload: &u.payload,
                signature_bytes: u.signature_len,
                verified: false,
                warning: WARNING,
            };
            outln!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Err(e) => {
            outln!("cannot decode: {}: {e}", e.code());
            ExitCode::from(1)
        }
    }
}

fn engine() -> ExitCode {
    let mut buf = Vec::new();
    if let Err(e) = std::io::stdin().take(1 << 20).read_to_end(&mut buf) {
        eprintln!("aiid passport engine: {e}");
        return ExitCode::from(2);
    }
    let req: Value = match serde_json::from_slice(&buf) {
        Ok(v) => v,
        Err(e) => {
            outln!("{}", InvalidAnswer::new("bad_request", e).to_json());
            return ExitCode::from(2);
        }
    };
    let out = passport::conformance::respond(&req);
    outln!("{out}");
    match out.get("valid").and_then(Value::as_bool) {
        Some(true) => ExitCode::SUCCESS,
        _ => ExitCode::from(1),
    }
}
