//! `aiid attest …`: sign and verify run attestations (`spec/attestation.md`).
//!
//! Exit status: 0 success (attestation valid), 1 attestation invalid, 2 usage or I/O error.

use super::InvalidAnswer;
use attest::{AgentKeys, AgentSigner, AttestError, Verifier};
use passport::{IdentityId, Jwk, Jwks, KeyId, Policy, RevocationList, Tier};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Subcommands of `aiid attest`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum AttestCommand {
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
        /// Without it, the agent keys come from --registry (the identity's record).
        #[arg(long, value_name = "FILE", required_unless_present = "registry")]
        agent_jwks: Option<PathBuf>,
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
        /// A registry: its revocation list is checked (GET /api/v1/revocations)
        /// and, without --agent-jwks, the agent keys are those of the
        /// identity's record (its DID document).
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
pub(crate) fn run(cmd: AttestCommand) -> ExitCode {
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
                    outln!("{text}");
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
                let client = match &registry {
                    Some(url) => {
                        let mut cfg = registry_client::ClientConfig::new(url.as_str());
                        cfg.api_key = std::env::var("AIID_API_KEY").ok().filter(|k| !k.is_empty());
                        Some(
                            registry_client::BlockingClient::new(cfg)
                                .map_err(|e| format!("registry {url}: {e}"))?,
                        )
                    }
                    None => None,
                };
                let mut v = match (&agent_jwks, &client) {
                    (Some(path), _) => Verifier::new(
                        AgentKeys::from_json(&read_text(path)?, identity.as_ref())
                            .map_err(|e| format!("{}: {e}", path.display()))?,
                    ),
                    (None, Some(c)) => Verifier::new(RegistryAgentKeys(c.clone())),
                    (None, None) => return Err("give --agent-jwks FILE or --registry URL".into()),
                };
                if let Some(n) = now {
                    v = v.with_clock(passport::FixedClock(n));
                }
                if let Some(path) = &issuer_jwks {
                    let set = Jwks::from_json(&read_text(path)?)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                    let policy =
                        Policy::for_issuers(issuers.clone(), aud.clone().unwrap_or_default())
                            .with_min_tier(min_tier);
                    v = v.with_issuer(policy, set);
                }
                let mut lists = Vec::new();
                if let Some(path) = &revocations {
                    lists.push(
                        RevocationList::from_json(&read_text(path)?)
                            .map_err(|e| format!("{}: {e}", path.display()))?,
                    );
                }
                if let (Some(url), Some(c)) = (&registry, &client) {
                    let (list, _) = c
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

/// Agent keys from a registry: the `#agent-<kid>` verification methods of
/// the identity's DID document (`GET /api/v1/did/{did}`).
struct RegistryAgentKeys(registry_client::BlockingClient);

impl attest::AgentKeySource for RegistryAgentKeys {
    fn agent_keys(&self, identity: &IdentityId) -> Result<Option<Jwks>, passport::SourceError> {
        use passport::SourceError;
        let did = registry_client::did_of(identity);
        let doc = match self.0.did_document(&did) {
            Ok(d) => d,
            Err(registry_client::ClientError::Status { status: 404, .. }) => return Ok(None),
            Err(e) => return Err(SourceError::caused_by(e.to_string(), e)),
        };
        let prefix = format!("{did}#agent-");
        let mut set = Jwks::new();
        for m in doc["verificationMethod"].as_array().into_iter().flatten() {
            if m["id"].as_str().is_some_and(|i| i.starts_with(&prefix)) {
                let jwk = m["publicKeyJwk"]
                    .as_object()
                    .ok_or("a verification method without publicKeyJwk")?;
                let key = Jwk::from_json_object(jwk)
                    .map_err(|e| SourceError::caused_by(format!("agent key of {did}: {e}"), e))?;
                set.push(key)
                    .map_err(|e| SourceError::caused_by(format!("agent keys of {did}: {e}"), e))?;
            }
        }
        Ok((!set.keys().is_empty()).then_some(set))
    }
}

/// Several revocation lists: revoked when any says so.
struct Lists(Vec<RevocationList>);

impl passport::RevocationSource for Lists {
    fn revoked(
        &self,
        q: &passport::RevocationQuery<'_>,
        now: i64,
    ) -> Result<Option<String>, passport::SourceError> {
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
                outln!("{}", ok.to_json());
            } else {
                let s = &ok.statement;
                outln!("valid: {} declared run {}", s.identity, s.doc_hash);
                outln!("agent key:   {}", ok.agent_kid);
                outln!("declared at: {}", s.declared_at.as_str());
                match &ok.passport {
                    Some(p) => outln!(
                        "passport:    {} (operator {:?}, issuer {})",
                        p.claims.tier,
                        p.claims.operator.as_str(),
                        p.claims.iss
                    ),
                    None => outln!("passport:    none (tier not stated)"),
                }
            }
            ExitCode::SUCCESS
        }
        Err(AttestError::InvalidDeclaration(e)) => {
            usage(format!("the declaration is not valid SCL:V1: {e}"))
        }
        Err(e) => {
            if json_out {
                let code = e.code().to_string();
                let out = InvalidAnswer {
                    passport_error: e.passport_code(),
                    ..InvalidAnswer::new(&code, &e)
                };
                outln!("{}", out.to_json());
            } else {
                outln!("invalid: {}: {e}", e.code());
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
        Err(e) => {
            outln!("{}", InvalidAnswer::new("bad_request", e).to_json());
            return ExitCode::from(2);
        }
    };
    outln!("{out}");
    match out.get("valid").and_then(serde_json::Value::as_bool) {
        Some(true) => ExitCode::SUCCESS,
        _ if out.get("error").and_then(|e| e.as_str()) == Some("bad_request") => ExitCode::from(2),
        _ => ExitCode::from(1),
    }
}

/// `aiid registry admin identity add-key ID --jwk FILE`: one public JWK, or
/// every key of a JWK set (an agent JWKS naming another identity is refused).
pub(crate) fn admin_add_key(
    store: &std::sync::Arc<dyn registry_server::store::Store>,
    location: &registry_server::StoreLocation,
    id: &IdentityId,
    file: &Path,
) -> ExitCode {
    let text = match read_text(file) {
        Ok(t) => t,
        Err(e) => return usage(e),
    };
    let keys: Vec<Jwk> = match Jwk::from_json(&text) {
        Ok(k) => vec![k],
        Err(single) => match AgentKeys::from_json(&text, Some(id)) {
            Ok(a) => a.keys.keys().to_vec(),
            Err(set) if text.contains("\"keys\"") => {
                return usage(format!("{}: {set}", file.display()))
            }
            Err(_) => return usage(format!("{}: {single}", file.display())),
        },
    };
    if keys.is_empty() {
        return usage(format!("{}: no Ed25519 key", file.display()));
    }
    let busy = registry_server::store::SqliteOptions::default().busy_timeout;
    let attestations = match registry_server::open_attestations(location, store, busy) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("aiid: {e}");
            return ExitCode::from(1);
        }
    };
    for k in &keys {
        match registry_server::attestations::add_key(store.as_ref(), attestations.as_ref(), id, k) {
            Ok(true) => outln!("identity {id}: added agent key {}", k.kid),
            Ok(false) => outln!("identity {id}: agent key {} already present", k.kid),
            Err(e) => {
                eprintln!("aiid: {e}");
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}
