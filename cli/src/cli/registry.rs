//! `aiid registry …` subcommands: client calls (verify, whois), the
//! self-hostable server (serve) and its administration (admin).
//!
//! Exit status of `verify` and `whois`: 0 valid / found, 1 invalid / not
//! found, 2 network or usage error (the reason on standard error).

use passport::{Capability, IdentityId, Operator, Surface, Tier};
use registry_client::{BlockingClient, ClientConfig, ClientError, DEFAULT_BASE_URL};
use registry_server::store::RevokeOutcome;
use registry_server::{admin, RateLimits, ServerConfig};
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Subcommands of `aiid registry`.
#[derive(Debug, clap::Subcommand)]
pub enum RegistryCommand {
    /// Verify a passport (or a bare aii_ id) online at a registry.
    /// Exit 0 valid, 1 invalid, 2 network or usage error.
    Verify {
        /// Registry base URL (an API key may be given in AIID_API_KEY).
        #[arg(long, value_name = "URL", default_value = DEFAULT_BASE_URL)]
        registry: String,
        /// The passport token, an aii_ id, or `-` to read a token from stdin.
        #[arg(value_name = "TOKEN|-")]
        token: String,
    },
    /// Look an identity up at a registry. Exit 0 found, 1 not found, 2 network or usage error.
    Whois {
        /// Registry base URL.
        #[arg(long, value_name = "URL", default_value = DEFAULT_BASE_URL)]
        registry: String,
        /// The identity id (aii_…) or did:aiidentity DID.
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Run a registry server (SQLite in DIR, created with an issuer key on first start).
    Serve {
        /// Address to listen on (port 0 picks a free port; the URL is printed).
        #[arg(long, value_name = "ADDR")]
        listen: SocketAddr,
        /// Data directory.
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Issuer URL (iss) [default: http://<listen address>].
        #[arg(long, value_name = "URL")]
        issuer: Option<String>,
        /// Unauthenticated requests per minute per IP (0: unlimited).
        #[arg(long, value_name = "N", default_value_t = 30)]
        rate_limit_unauthenticated: u32,
        /// Authenticated verify-class requests per minute per organisation (0: unlimited).
        #[arg(long, value_name = "N", default_value_t = 60)]
        rate_limit_verify: u32,
        /// Authenticated whois-class requests per minute per organisation (0: unlimited).
        #[arg(long, value_name = "N", default_value_t = 120)]
        rate_limit_whois: u32,
    },
    /// Administer a registry's data directory (safe while it serves).
    Admin {
        /// Data directory (created if missing).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// What to do.
        #[command(subcommand)]
        cmd: AdminCommand,
    },
}

/// `aiid registry admin …`
#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Identities.
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// API keys.
    #[command(name = "api-key", subcommand)]
    ApiKey(ApiKeyCommand),
    /// Revoke an identity (aii_…) or a passport (jti or token SHA-256 hex); durable on exit 0.
    Revoke {
        /// The id.
        id: String,
        /// Why.
        #[arg(long, default_value = "revoked by the registry administrator")]
        reason: String,
    },
    /// Issuer signing keys.
    #[command(subcommand)]
    Key(KeyCommand),
}

/// `aiid registry admin identity …`
#[derive(Debug, clap::Subcommand)]
pub enum IdentityCommand {
    /// Create an identity; prints its new id last on the line.
    Create {
        /// Operator: `anon` or a display name.
        #[arg(long, value_name = "NAME")]
        operator: Operator,
        /// Tier: issued, identity_verified, creator_verified, business_verified.
        #[arg(long)]
        tier: Tier,
        /// A surface (kind:value, recorded as verified); repeatable.
        #[arg(long = "surface", value_name = "S")]
        surfaces: Vec<Surface>,
        /// A capability; repeatable.
        #[arg(long = "capability", value_name = "C")]
        capabilities: Vec<Capability>,
    },
    /// Change an identity's tier.
    SetTier {
        /// The identity.
        id: IdentityId,
        /// The new tier.
        tier: Tier,
    },
    /// Add an agent's public key (an OKP Ed25519 JWK with kid) to an identity:
    /// it then verifies the identity's run attestations (spec/attestation.md).
    AddKey {
        /// The identity.
        id: IdentityId,
        /// The public JWK file (one JWK, or an agent JWKS whose keys are all added).
        #[arg(long, value_name = "FILE")]
        jwk: std::path::PathBuf,
    },
}

/// `aiid registry admin api-key …`
#[derive(Debug, clap::Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key; prints the key (shown once, stored hashed) last on the line.
    Create {
        /// A scope (passport:issue, identity:revoke); repeatable.
        #[arg(long = "scope", value_name = "S", required = true)]
        scopes: Vec<String>,
        /// The organisation (rate limits are per organisation).
        #[arg(long, default_value = "default")]
        org: String,
    },
}

/// `aiid registry admin key …`
#[derive(Debug, clap::Subcommand)]
pub enum KeyCommand {
    /// Generate a new issuer key; the previous one stays in the JWKS. Restart the server to use it.
    Rotate,
}

/// Runs one `aiid registry` subcommand and returns the process exit code.
pub fn run(cmd: RegistryCommand) -> ExitCode {
    match cmd {
        RegistryCommand::Verify { registry, token } => verify(&registry, &token),
        RegistryCommand::Whois { registry, id } => whois(&registry, &id),
        RegistryCommand::Serve {
            listen,
            data,
            issuer,
            rate_limit_unauthenticated,
            rate_limit_verify,
            rate_limit_whois,
        } => {
            let mut cfg = ServerConfig::new(data);
            cfg.issuer = issuer;
            cfg.rate_limits = RateLimits {
                unauthenticated_per_min: rate_limit_unauthenticated,
                verify_per_min: rate_limit_verify,
                whois_per_min: rate_limit_whois,
            };
            match registry_server::serve_blocking(listen, cfg, |url, iss| {
                outln!("listening on {url} issuer {iss}");
                let _ = std::io::stdout().flush();
            }) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&format!("registry serve: {e}")),
            }
        }
        RegistryCommand::Admin { data, cmd } => admin_cmd(&data, cmd),
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("aiid: {msg}");
    ExitCode::from(2)
}

fn client(registry: &str) -> Result<BlockingClient, ClientError> {
    let mut cfg = ClientConfig::new(registry);
    cfg.api_key = std::env::var("AIID_API_KEY").ok().filter(|k| !k.is_empty());
    BlockingClient::new(cfg)
}

macro_rules! print_json {
    ($v:expr) => {
        match serde_json::to_string_pretty($v) {
            Ok(s) => outln!("{s}"),
            Err(e) => eprintln!("aiid: cannot print the answer: {e}"),
        }
    };
}

fn verify(registry: &str, arg: &str) -> ExitCode {
    let token = if arg == "-" {
        let mut s = String::new();
        if let Err(e) = std::io::stdin().take(1 << 20).read_to_string(&mut s) {
            return fail(&format!("reading the token from stdin: {e}"));
        }
        s.trim().to_owned()
    } else {
        arg.trim().to_owned()
    };
    if token.is_empty() {
        return fail("no token given");
    }
    let c = match client(registry) {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    let answer = if token.starts_with("aii_") && !token.contains('.') {
        match token.parse::<IdentityId>() {
            Ok(id) => c.verify_id(&id),
            Err(e) => return fail(&e.to_string()),
        }
    } else {
        c.verify_passport(&token)
    };
    match answer {
        Ok(r) => {
            print_json!(&r);
            if r.valid {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "invalid: {}: {}",
                    r.error.as_deref().unwrap_or("invalid"),
                    r.message.as_deref().unwrap_or("not valid")
                );
                ExitCode::from(1)
            }
        }
        Err(e) if e.is_not_found() => {
            eprintln!("invalid: {e}");
            ExitCode::from(1)
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn whois(registry: &str, raw: &str) -> ExitCode {
    let id = match registry_client::identity_of_did(raw) {
        Some(id) => id,
        None => match raw.parse::<IdentityId>() {
            Ok(id) => id,
            Err(e) => return fail(&e.to_string()),
        },
    };
    let c = match client(registry) {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    match c.whois(&id) {
        Ok(rec) => {
            print_json!(&rec);
            ExitCode::SUCCESS
        }
        Err(e) if e.is_not_found() => {
            eprintln!("not found: {e}");
            ExitCode::from(1)
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn admin_cmd(data: &std::path::Path, cmd: AdminCommand) -> ExitCode {
    let store = match registry_server::open_data_dir(data) {
        Ok(s) => s,
        Err(e) => return fail(&e.to_string()),
    };
    let store = store.as_ref();
    match cmd {
        AdminCommand::Identity(IdentityCommand::Create {
            operator,
            tier,
            surfaces,
            capabilities,
        }) => match admin::create_identity(store, &operator, tier, &surfaces, &capabilities) {
            Ok(rec) => {
                outln!("created identity {}", rec.id);
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e.to_string()),
        },
        AdminCommand::Identity(IdentityCommand::SetTier { id, tier }) => {
            match admin::set_tier(store, &id, tier) {
                Ok(Some(rec)) => {
                    outln!("identity {} tier {}", rec.id, rec.tier);
                    ExitCode::SUCCESS
                }
                Ok(None) => {
                    eprintln!("aiid: no identity {id}");
                    ExitCode::from(1)
                }
                Err(e) => fail(&e.to_string()),
            }
        }
        AdminCommand::Identity(IdentityCommand::AddKey { id, jwk }) => {
            super::attest::admin_add_key(store, data, &id, &jwk)
        }
        AdminCommand::ApiKey(ApiKeyCommand::Create { scopes, org }) => {
            match admin::create_api_key(store, &org, &scopes) {
                Ok(key) => {
                    outln!(
                        "api key for {org} with {} (shown once, stored hashed): {key}",
                        scopes.join(",")
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e.to_string()),
            }
        }
        AdminCommand::Revoke { id, reason } => match admin::revoke(store, &id, &reason) {
            Ok(RevokeOutcome::Revoked(r)) => {
                outln!(
                    "revoked {} at {}",
                    r.subject,
                    registry_client::rfc3339(r.revoked_at)
                );
                ExitCode::SUCCESS
            }
            Ok(RevokeOutcome::AlreadyRevoked(r)) => {
                outln!(
                    "already revoked {} at {}",
                    r.subject,
                    registry_client::rfc3339(r.revoked_at)
                );
                ExitCode::SUCCESS
            }
            Ok(RevokeOutcome::UnknownIdentity) => {
                eprintln!("aiid: no identity {id}");
                ExitCode::from(1)
            }
            Err(e) => fail(&e.to_string()),
        },
        AdminCommand::Key(KeyCommand::Rotate) => match admin::rotate_key(store) {
            Ok(kid) => {
                outln!("new issuer key {kid}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e.to_string()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(c: ExitCode) -> String {
        format!("{c:?}")
    }

    fn same(c: ExitCode, n: u8) {
        assert_eq!(code(c), code(ExitCode::from(n)));
    }

    #[test]
    fn exit_codes_of_client_and_admin_commands() {
        let dir = std::env::temp_dir().join(format!("aiid-registry-cli-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let data = dir.join("data");
        let store = registry_server::open_data_dir(&data).unwrap();
        let id = admin::create_identity(
            store.as_ref(),
            &"anon".parse().unwrap(),
            Tier::Issued,
            &[],
            &[],
        )
        .unwrap()
        .id;
        let mut cfg = ServerConfig::new(&data);
        cfg.rate_limits = RateLimits::unlimited();
        let server =
            registry_server::BackgroundServer::spawn("127.0.0.1:0".parse().unwrap(), cfg).unwrap();
        let url = server.url().to_owned();
        let whois = |id: &str, registry: &str| {
            run(RegistryCommand::Whois {
                registry: registry.into(),
                id: id.into(),
            })
        };
        let verify = |token: &str| {
            run(RegistryCommand::Verify {
                registry: url.clone(),
                token: token.into(),
            })
        };
        same(whois(id.as_str(), &url), 0);
        same(whois(&registry_client::did_of(&id), &url), 0);
        same(whois("aii_UNKNOWN", &url), 1);
        same(whois("not-an-id", &url), 2);
        same(whois(id.as_str(), "http://127.0.0.1:1"), 2);
        same(whois(id.as_str(), "not a url"), 2);
        same(verify(id.as_str()), 0);
        same(verify("aii_UNKNOWN"), 1);
        same(verify("not.a.token"), 1);
        let admin_run = |cmd| {
            run(RegistryCommand::Admin {
                data: data.clone(),
                cmd,
            })
        };
        same(
            admin_run(AdminCommand::Identity(IdentityCommand::SetTier {
                id: id.clone(),
                tier: Tier::BusinessVerified,
            })),
            0,
        );
        same(
            admin_run(AdminCommand::Identity(IdentityCommand::SetTier {
                id: "aii_UNKNOWN".parse().unwrap(),
                tier: Tier::Issued,
            })),
            1,
        );
        same(
            admin_run(AdminCommand::ApiKey(ApiKeyCommand::Create {
                scopes: vec!["passport:typo".into()],
                org: "x".into(),
            })),
            2,
        );
        same(
            admin_run(AdminCommand::Revoke {
                id: id.to_string(),
                reason: "test".into(),
            }),
            0,
        );
        same(
            admin_run(AdminCommand::Revoke {
                id: "aii_UNKNOWN".into(),
                reason: "test".into(),
            }),
            1,
        );
        same(verify(id.as_str()), 1);
        server.stop().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
