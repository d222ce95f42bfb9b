//! `aiid registry …` subcommands: client calls (verify, whois), the
//! self-hostable server (serve) and its administration (admin).
//!
//! Exit status of `verify` and `whois`: 0 valid / found, 1 invalid / not
//! found, 2 network or usage error (the reason on standard error).

use passport::{Capability, IdentityId, Operator, Surface, Tier};
use registry_client::{BlockingClient, ClientConfig, ClientError, DEFAULT_BASE_URL};
use registry_server::store::RevokeOutcome;
use registry_server::{admin, RateLimits, ServerConfig, StoreLocation};
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Subcommands of `aiid registry`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum RegistryCommand {
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
    /// Run a registry server (SQLite in DIR, created with an issuer key on
    /// first start; or PostgreSQL, shared by replicas, with --database).
    #[command(group(clap::ArgGroup::new("storage").required(true).args(["data", "database"])))]
    Serve {
        /// Address to listen on (port 0 picks a free port; the URL is printed).
        #[arg(long, value_name = "ADDR")]
        listen: SocketAddr,
        /// Data directory (SQLite).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// PostgreSQL database shared by replicas, instead of --data
        /// (password in the URL or in PGPASSWORD).
        #[arg(long, value_name = "postgres://USER@HOST:PORT/DB", value_parser = database_url)]
        database: Option<String>,
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
        /// Time for a complete request head [default: 10s].
        #[arg(long, value_name = "DURATION")]
        header_read_timeout: Option<String>,
        /// Time for a complete request body [default: 10s].
        #[arg(long, value_name = "DURATION")]
        body_read_timeout: Option<String>,
        /// Close a connection idle this long [default: 5s].
        #[arg(long, value_name = "DURATION")]
        idle_timeout: Option<String>,
        /// Concurrent connections at most, kept below the open-file limit [default: 4096].
        #[arg(long, value_name = "N")]
        max_connections: Option<String>,
        /// Concurrent connections per IPv4 address / IPv6 /64 [default: 64].
        #[arg(long, value_name = "N")]
        max_connections_per_ip: Option<String>,
        /// Request head size limit in bytes [default: 16384].
        #[arg(long, value_name = "N")]
        max_header_bytes: Option<String>,
        /// A proxy whose X-Forwarded-For is trusted (address or CIDR); repeatable [default: none].
        #[arg(long, value_name = "ADDR[/BITS]")]
        trusted_proxy: Vec<String>,
        /// Graceful shutdown deadline [default: 10s].
        #[arg(long, value_name = "DURATION")]
        shutdown_timeout: Option<String>,
    },
    /// Administer a registry's data directory or database (safe while it serves).
    #[command(group(clap::ArgGroup::new("storage").required(true).args(["data", "database"])))]
    Admin {
        /// Data directory (created if missing).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// PostgreSQL database, instead of --data (migrated on start).
        #[arg(long, value_name = "postgres://USER@HOST:PORT/DB", value_parser = database_url)]
        database: Option<String>,
        /// What to do.
        #[command(subcommand)]
        cmd: AdminCommand,
    },
}

/// `aiid registry admin …`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum AdminCommand {
    /// Identities.
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// API keys.
    #[command(name = "api-key", subcommand)]
    ApiKey(ApiKeyCommand),
    /// Revoke an identity (aii_… or did:aiidentity:…) or, with --passport, a passport
    /// (jti or token SHA-256 hex); durable on exit 0. Anything else: exit 2, nothing changed.
    Revoke {
        /// The identity id or DID.
        #[arg(required_unless_present = "passport", conflicts_with = "passport")]
        id: Option<String>,
        /// A passport id (jti or token SHA-256 hex) instead of an identity.
        #[arg(long, value_name = "JTI")]
        passport: Option<String>,
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
pub(crate) enum IdentityCommand {
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
pub(crate) enum ApiKeyCommand {
    /// Create an API key; prints the key (shown once, stored hashed) last on the line.
    Create {
        /// A scope (passport:issue, identity:revoke); repeatable.
        #[arg(long = "scope", value_name = "S", required = true)]
        scopes: Vec<String>,
        /// The organisation (rate limits are per organisation).
        #[arg(long, default_value = "default")]
        org: String,
    },
    /// List API keys: id, organisation, scopes, created, last used (never the key).
    List,
    /// Revoke an API key (by the key or its ak_ id); a running server refuses it at once.
    Revoke {
        /// The key (aii_live_…) or its id (ak_…).
        #[arg(value_name = "KEY_OR_ID")]
        key_or_id: String,
    },
}

/// `aiid registry admin key …`
#[derive(Debug, clap::Subcommand)]
pub(crate) enum KeyCommand {
    /// Generate a new issuer key (a running server signs with it within a second); older
    /// private keys are deleted after the grace period, their public keys stay published
    /// while passports they signed are unexpired.
    Rotate {
        /// Grace period before older private keys are deleted (e.g. 0s, 12h, 7d).
        #[arg(long, value_name = "DURATION", default_value = "1d")]
        retire_after: String,
    },
    /// Revoke an issuer key at once: removed from the JWKS, listed in the revocations,
    /// its private part deleted (a new key is generated if it was the last usable one).
    Revoke {
        /// The key id (k_…).
        #[arg(value_name = "KID")]
        kid: String,
        /// Why.
        #[arg(long, default_value = "key revoked by the registry administrator")]
        reason: String,
    },
    /// List issuer keys and their status.
    List,
}

/// Runs one `aiid registry` subcommand and returns the process exit code.
pub(crate) fn run(cmd: RegistryCommand) -> ExitCode {
    match cmd {
        RegistryCommand::Verify { registry, token } => verify(&registry, &token),
        RegistryCommand::Whois { registry, id } => whois(&registry, &id),
        RegistryCommand::Serve {
            listen,
            data,
            database,
            issuer,
            rate_limit_unauthenticated,
            rate_limit_verify,
            rate_limit_whois,
            header_read_timeout,
            body_read_timeout,
            idle_timeout,
            max_connections,
            max_connections_per_ip,
            max_header_bytes,
            trusted_proxy,
            shutdown_timeout,
        } => {
            let mut cfg = match location(data, database) {
                StoreLocation::DataDir(dir) => ServerConfig::new(dir),
                StoreLocation::Postgres(url) => ServerConfig::postgres(url),
            };
            cfg.issuer = issuer;
            cfg.rate_limits = RateLimits {
                unauthenticated_per_min: rate_limit_unauthenticated,
                verify_per_min: rate_limit_verify,
                whois_per_min: rate_limit_whois,
            };
            let options = [
                ("--header-read-timeout", header_read_timeout),
                ("--body-read-timeout", body_read_timeout),
                ("--idle-timeout", idle_timeout),
                ("--max-connections", max_connections),
                ("--max-connections-per-ip", max_connections_per_ip),
                ("--max-header-bytes", max_header_bytes),
                ("--shutdown-timeout", shutdown_timeout),
            ];
            let proxies = trusted_proxy
                .into_iter()
                .map(|p| ("--trusted-proxy", Some(p)));
            for (flag, value) in options.into_iter().chain(proxies) {
                if let Some(v) = value {
                    if let Err(e) = cfg.set_option(flag, &v) {
                        return fail(&format!("registry serve: {e}"));
                    }
                }
            }
            match registry_server::serve_blocking(listen, cfg, |url, iss| {
                outln!("listening on {url} issuer {iss}");
                let _ = std::io::stdout().flush();
            }) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&format!("registry serve: {e}")),
            }
        }
        RegistryCommand::Admin {
            data,
            database,
            cmd,
        } => admin_cmd(&location(data, database), cmd),
    }
}

/// `--data` or `--database` (clap makes exactly one of them present).
fn location(data: Option<PathBuf>, database: Option<String>) -> StoreLocation {
    match database {
        Some(url) => StoreLocation::Postgres(url),
        None => StoreLocation::DataDir(data.unwrap_or_default()),
    }
}

/// Checks a `--database` URL (scheme, user, host) without connecting.
fn database_url(s: &str) -> Result<String, String> {
    registry_server::pg::parse_database_url(s)
        .map(|_| s.to_owned())
        .map_err(|e| e.to_string())
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

fn admin_cmd(location: &StoreLocation, cmd: AdminCommand) -> ExitCode {
    // Check what needs no store before opening (and maybe creating) it:
    // a refused command changes nothing.
    let target = match &cmd {
        AdminCommand::Revoke {
            id,
            passport,
            reason,
        } => {
            match admin::revoke_target(id.as_deref(), passport.as_deref())
                .and_then(|t| admin::check_reason(reason).map(|()| t))
            {
                Ok(t) => Some(t),
                Err(e) => return fail(&format!("admin revoke: {e}")),
            }
        }
        _ => None,
    };
    let retire_after = match &cmd {
        AdminCommand::Key(KeyCommand::Rotate { retire_after }) => {
            match registry_server::parse_duration(retire_after) {
                Ok(d) => Some(d),
                Err(e) => return fail(&format!("--retire-after: {e}")),
            }
        }
        _ => None,
    };
    let store = match registry_server::open_store(location) {
        Ok(s) => s,
        Err(e) => return fail(&e.to_string()),
    };
    let shared = store.clone();
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
            super::attest::admin_add_key(&shared, location, &id, &jwk)
        }
        AdminCommand::ApiKey(ApiKeyCommand::Create { scopes, org }) => {
            match admin::create_api_key(store, &org, &scopes) {
                Ok(key) => {
                    outln!(
                        "api key {} for {org} with {} (shown once, stored hashed): {key}",
                        admin::api_key_id(&registry_server::ids::hash_api_key(&key)),
                        scopes.join(",")
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e.to_string()),
            }
        }
        AdminCommand::ApiKey(ApiKeyCommand::List) => match admin::list_api_keys(store) {
            Ok(keys) => {
                outln!("id\torg\tscopes\tcreated\tlast_used");
                for k in keys {
                    outln!(
                        "{}\t{}\t{}\t{}\t{}",
                        k.id,
                        k.org,
                        k.scopes.join(","),
                        registry_client::rfc3339(k.created_at),
                        k.last_used_at
                            .map_or_else(|| "never".to_owned(), registry_client::rfc3339)
                    );
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e.to_string()),
        },
        AdminCommand::ApiKey(ApiKeyCommand::Revoke { key_or_id }) => {
            match admin::revoke_api_key(store, &key_or_id) {
                Ok(Some(id)) => {
                    outln!("revoked api key {id}");
                    ExitCode::SUCCESS
                }
                Ok(None) => {
                    eprintln!("aiid: no api key {key_or_id}");
                    ExitCode::from(1)
                }
                Err(e) => fail(&e.to_string()),
            }
        }
        AdminCommand::Revoke { reason, .. } => match target
            .ok_or_else(|| registry_server::ServerError::Config("no revocation target".into()))
            .and_then(|t| admin::revoke(store, &t, &reason).map(|o| (t, o)))
        {
            Ok((_, RevokeOutcome::Revoked(r))) => {
                outln!(
                    "revoked {} at {}",
                    r.subject,
                    registry_client::rfc3339(r.revoked_at)
                );
                ExitCode::SUCCESS
            }
            Ok((_, RevokeOutcome::AlreadyRevoked(r))) => {
                outln!(
                    "already revoked {} at {}",
                    r.subject,
                    registry_client::rfc3339(r.revoked_at)
                );
                ExitCode::SUCCESS
            }
            Ok((t, RevokeOutcome::UnknownIdentity)) => {
                eprintln!("aiid: no identity {t:?}");
                ExitCode::from(1)
            }
            Err(e) => fail(&e.to_string()),
        },
        AdminCommand::Key(KeyCommand::Rotate { .. }) => {
            match admin::rotate_key(store, retire_after) {
                Ok(kid) => {
                    outln!("new issuer key {kid}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e.to_string()),
            }
        }
        AdminCommand::Key(KeyCommand::Revoke { kid, reason }) => {
            match admin::revoke_key(store, &kid, &reason) {
                Ok(Some(r)) => {
                    let already = matches!(r.outcome, RevokeOutcome::AlreadyRevoked(_));
                    outln!(
                        "{} issuer key {kid}",
                        if already {
                            "already revoked"
                        } else {
                            "revoked"
                        }
                    );
                    if let Some(new) = r.new_current {
                        outln!("new issuer key {new}");
                    }
                    ExitCode::SUCCESS
                }
                Ok(None) => {
                    eprintln!("aiid: no issuer key {kid}");
                    ExitCode::from(1)
                }
                Err(e) => fail(&e.to_string()),
            }
        }
        AdminCommand::Key(KeyCommand::List) => match admin::list_keys(store) {
            Ok(keys) => {
                outln!("kid\tstatus\tcreated\tprivate_deleted_at\tlast_passport_expiry");
                let t = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), registry_client::rfc3339);
                for k in keys {
                    outln!(
                        "{}\t{}\t{}\t{}\t{}",
                        k.kid,
                        k.status,
                        registry_client::rfc3339(k.created_at),
                        t(k.delete_private_at),
                        t(k.last_passport_expiry)
                    );
                }
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
                data: Some(data.clone()),
                database: None,
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
                id: Some(id.to_string()),
                passport: None,
                reason: "test".into(),
            }),
            0,
        );
        same(
            admin_run(AdminCommand::Revoke {
                id: Some("aii_UNKNOWN".into()),
                passport: None,
                reason: "test".into(),
            }),
            1,
        );
        // Strict targets: anything but an id, a DID or --passport is exit 2.
        for bad in [" aii_X", "did:web:example.com", "p_123", ""] {
            same(
                admin_run(AdminCommand::Revoke {
                    id: Some(bad.into()),
                    passport: None,
                    reason: "test".into(),
                }),
                2,
            );
        }
        same(verify(id.as_str()), 1);
        same(
            admin_run(AdminCommand::Revoke {
                id: None,
                passport: Some("p_01TEST".into()),
                reason: "test".into(),
            }),
            0,
        );
        same(admin_run(AdminCommand::ApiKey(ApiKeyCommand::List)), 0);
        let key = admin::create_api_key(store.as_ref(), "x", &["passport:issue".into()]).unwrap();
        let revoke_key = |k: &str| {
            run(RegistryCommand::Admin {
                data: Some(data.clone()),
                database: None,
                cmd: AdminCommand::ApiKey(ApiKeyCommand::Revoke {
                    key_or_id: k.into(),
                }),
            })
        };
        same(revoke_key(&key), 0);
        same(revoke_key(&key), 1);
        same(revoke_key("garbage"), 2);
        same(admin_run(AdminCommand::Key(KeyCommand::List)), 0);
        same(
            admin_run(AdminCommand::Key(KeyCommand::Rotate {
                retire_after: "soon".into(),
            })),
            2,
        );
        same(
            admin_run(AdminCommand::Key(KeyCommand::Rotate {
                retire_after: "0s".into(),
            })),
            0,
        );
        same(
            admin_run(AdminCommand::Key(KeyCommand::Revoke {
                kid: "k_UNKNOWN".into(),
                reason: "x".into(),
            })),
            1,
        );
        server.stop().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
