//! `aiid attest …`: sign and verify run attestations (`spec/attestation.md`).
//!
//! Exit status: 0 success (attestation valid), 1 attestation invalid, 2 usage or I/O error.

use attest::{AgentKeys, AgentSigner, AttestError, Verifier};
use passport::{IdentityId, Jwk, Jwks, KeyId, Policy, RevocationList, Tier};
use serde_json::json;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Subcommands of `aiid attest`.
#[derive(Debug, clap::Subcommand)]
pub enum AttestCommand {
    /// Generate an agent key: the private key as PKCS#8 PEM, the public key
    /// added to an agent JWKS that names the identity (created if absent).
    Keygen {
        /// The agent's AI Identity id.
        #[arg(long, value_name = "aii_…")]
        identity: IdentityId,
        /// Key id for the new key.
        #[arg(long)]
        kid: KeyId,
        /// Where to write the private key (must not exist).
        #[arg(long, value_name = "FILE")]
        private_key: PathBuf,
        /// The agent JWKS file to create or add the public key to.
        #[arg(long, value_name = "FILE")]
        jwks: PathBuf,
    },
    /// Attest a declaration: print the DSSE envelope (JSON) on standard output.
    Sign {
        /// The agent's private key (PKCS#8 PEM or a private OKP JWK).
        #[arg(long, value_name = "FILE")]
        private_key: PathBuf,
        /// The key's id (the DSSE keyid).
        #[arg(long)]
        kid: KeyId,
        /// The agent's AI Identity id.
        #[arg(long, value_name = "aii_…")]
        identity: IdentityId,
        /// The agent's passport (a file holding the compact JWT).
        #[arg(long, value_name = "FILE")]
        passport: Option<PathBuf>,
        /// Declare as of this Unix time instead of now.
        #[arg(long, value_name = "SECONDS", hide = true)]
        now: Option<i64>,
        /// The SCL:V1 declaration.
        #[arg(value_name = "DECLARATION.scl")]
        declaration: PathBuf,
    },
    /// Verify an attestation of a declaration. Exit 0 valid, 1 invalid.
    Verify {
        /// The agent JWKS (with an "identity" member, or give --identity).
        #[arg(long, value_name = "FILE")]
        agent_jwks: PathBuf,
        /// The identity the agent JWKS belongs to (when the file does not say).
        #[arg(long, value_name = "aii_…")]
        identity: Option<IdentityId>,
        /// The passport issuer's JWKS (needed when the attestation carries a passport).
        #[arg(long, value_name = "FILE", requires_all = ["issuers", "aud"])]
        issuer_jwks: Option<PathBuf>,
        /// Accepted passport issuer URL; repeatable.
        #[arg(long = "iss", value_name = "URL")]
        issuers: Vec<String>,
        /// This verifier's audience (passport aud).
        #[arg(long)]
        aud: Option<String>,
        /// Minimum passport tier.
        #[arg(long, value_name = "T", default_value = "issued")]
        min_tier: Tier,
        /// A revocation list file (JSON).
        #[arg(long, value_name = "FILE")]
        revocations: Option<PathBuf>,
        /// A registry whose revocation list is checked (GET /api/v1/revocations).
        #[arg(long, value_name = "URL")]
        registry: Option<String>,
        /// Verify as of this Unix time instead of now.
        #[arg(long, value_name = "SECONDS")]
        now: Option<i64>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// The SCL:V1 declaration (its identity is recomputed).
        #[arg(value_name = "DECLARATION.scl")]
        declaration: PathBuf,
        /// The envelope (`-` reads standard input).
        #[arg(value_name = "ENVELOPE.json")]
        envelope: PathBuf,
    },
    /// Conformance protocol: one JSON request on stdin, one JSON result line
    /// (see spec/attestation.md §7).
    Engine,
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .take((attest::MAX_ENVELOPE_BYTES + 1) as u64)
            .read_to_end(&mut buf)
            .map_err(|e| format!("standard input: {e}"))?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_text(path: &Path) -> Result<String, String> {
    String::from_utf8(read(path)?).map_err(|_| format!("{}: not UTF-8", path.display()))
}

fn usage(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("aiid attest: {e}");
    ExitCode::from(2)
}

/// Runs one `aiid attest` subcommand.
pub fn run(cmd: AttestCommand) -> ExitCode {
    match cmd {
        AttestCommand::Keygen {
            identity,
            kid,
            private_key,
            jwks,
        } => match keygen(identity, kid, &private_key, &jwks) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => usage(e),
        },
        AttestCommand::Sign {
            private_key,
            kid,
            identity,
            passport,
            now,
            declaration,
        } => {
            let result = (|| -> Result<String, String> {
                let key = read_text(&private_key)?;
                let signer = AgentSigner::from_key_text(&key, kid, identity)
                    .map_err(|e| format!("{}: {e}", private_key.display()))?;
                let token = match &passport {
                    Some(p) => Some(read_text(p)?.trim().to_owned()),
                    None => None,
                };
                let decl = read(&declaration)?;
                let now = now.unwrap_or_else(|| passport::Clock::now(&passport::SystemClock));
                let env = signer
                    .attest(&decl, now, token.as_deref())
                    .map_err(|e| format!("{}: {e}", declaration.display()))?;
                Ok(env.to_json())
            })();
            match result {
                Ok(text) => {
                    println!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => usage(e),
            }
        }
        AttestCommand::Verify {
            agent_jwks,
            identity,
            issuer_jwks,
            issuers,
            aud,
            min_tier,
            revocations,
            registry,
            now,
            json,
            declaration,
            envelope,
        } => {
            let setup = || -> Result<(Verifier, Vec<u8>, Vec<u8>), String> {
                let agents = AgentKeys::from_json(&read_text(&agent_jwks)?, identity.as_ref())
                    .map_err(|e| format!("{}: {e}", agent_jwks.display()))?;
                let mut v = Verifier::new(agents);
                if let Some(n) = now {
                    v = v.with_clock(passport::FixedClock(n));
                }
                if let Some(path) = &issuer_jwks {
                    let set = Jwks::from_json(&read_text(path)?)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    let policy = Policy {
                        issuers: issuers.clone(),
                        audience: aud.clone().unwrap_or_default(),
                        leeway_secs: passport::DEFAULT_LEEWAY_SECS,
                        min_tier,
                    };
                    v = v.with_issuer(policy, set);
                }
                let mut lists = Vec::new();
                if let Some(path) = &revocations {
                    lists.push(
                        RevocationList::from_json(&read_text(path)?)
                            .map_err(|e| format!("{}: {e}", path.display()))?,
                    );
                }
                if let Some(url) = &registry {
                    let mut cfg = registry_client::ClientConfig::new(url.as_str());
                    cfg.api_key = std::env::var("AIID_API_KEY").ok().filter(|k| !k.is_empty());
                    let client = registry_client::BlockingClient::new(cfg)
                        .map_err(|e| format!("registry {url}: {e}"))?;
                    let (list, _) = client
                        .revocations()
                        .map_err(|e| format!("registry {url}: revocations: {e}"))?;
                    lists.push(list);
                }
                if !lists.is_empty() {
                    v = v.with_revocation(Lists(lists));
                }
                Ok((v, read(&declaration)?, read(&envelope)?))
            };
            match setup() {
                Ok((v, decl, env)) => verify(&v, &decl, &env, json),
                Err(e) => usage(e),
            }
        }
        AttestCommand::Engine => engine(),
    }
}

/// Several revocation lists: revoked when any says so.
struct Lists(Vec<RevocationList>);

impl passport::RevocationSource for Lists {
    fn revoked(
        &self,
        q: &passport::RevocationQuery<'_>,
        now: i64,
    ) -> Result<Option<String>, String> {
        for l in &self.0 {
            if let Some(r) = l.revoked(q, now)? {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }
}

fn verify(v: &Verifier, decl: &[u8], env: &[u8], json_out: bool) -> ExitCode {
    match v.verify(decl, env) {
        Ok(ok) => {
            if json_out {
                println!("{}", ok.to_json());
            } else {
                let s = &ok.statement;
                println!("valid: {} declared run {}", s.identity, s.doc_hash);
                println!("agent key:   {}", ok.agent_kid);
                println!("declared at: {}", s.declared_at.as_str());
                match &ok.passport {
                    Some(p) => println!(
                        "passport:    {} (operator {:?}, issuer {})",
                        p.claims.tier,
                        p.claims.operator.as_str(),
                        p.claims.iss
                    ),
                    None => println!("passport:    none (tier not stated)"),
                }
            }
            ExitCode::SUCCESS
        }
        Err(AttestError::InvalidDeclaration(e)) => {
            usage(format!("the declaration is not valid SCL:V1: {e}"))
        }
        Err(e) => {
            if json_out {
                let mut out = json!({"valid": false, "error": e.code(), "message": e.to_string()});
                if let (Some(p), Some(o)) = (e.passport_code(), out.as_object_mut()) {
                    o.insert("passport_error".into(), json!(p));
                }
                println!("{out}");
            } else {
                println!("invalid: {}: {e}", e.code());
            }
            ExitCode::from(1)
        }
    }
}

fn keygen(identity: IdentityId, kid: KeyId, private_key: &Path, jwks: &Path) -> Result<(), String> {
    let mut agent = if jwks.exists() {
        AgentKeys::from_json(&read_text(jwks)?, Some(&identity))
            .map_err(|e| format!("{}: {e}", jwks.display()))?
    } else {
        AgentKeys {
            identity,
            keys: Jwks::new(),
        }
    };
    let key = passport::generate_signing_key().map_err(|e| e.to_string())?;
    agent
        .keys
        .push(Jwk::new(kid, key.verifying_key()))
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
    std::io::Write::write_all(&mut f, pem.as_bytes())
        .map_err(|e| format!("{}: {e}", private_key.display()))?;
    let mut text = serde_json::to_string_pretty(&agent.to_json()).map_err(|e| e.to_string())?;
    text.push('\n');
    super::declare::write_atomically(jwks, text.as_bytes())
}

fn engine() -> ExitCode {
    let mut buf = Vec::new();
    if let Err(e) = std::io::stdin().take(1 << 20).read_to_end(&mut buf) {
        return usage(e);
    }
    let out = match serde_json::from_slice(&buf) {
        Ok(req) => attest::conformance::respond(&req),
        Err(e) => json!({"valid": false, "error": "bad_request", "message": e.to_string()}),
    };
    println!("{out}");
    match out.get("valid").and_then(serde_json::Value::as_bool) {
        Some(true) => ExitCode::SUCCESS,
        _ if out.get("error").and_then(|e| e.as_str()) == Some("bad_request") => ExitCode::from(2),
        _ => ExitCode::from(1),
    }
}
