//! One store test suite, written once over `&dyn Store` and run against both
//! backends: SQLite (a fresh file) and PostgreSQL (a fresh database on a
//! throwaway cluster, see `support/pg_cluster.rs`). Each case gets a
//! `Backend`, which opens any number of handles on the same fresh store (a
//! second handle stands for a second replica or the admin CLI).
//!
//! The same suite covers the agent keys and attestations of
//! `registry_server::attestations` (SQLite: `attestations.sqlite3` in the
//! data directory; PostgreSQL: the shared database).
//!
//! Then PostgreSQL-only behaviour: migrations, notifications, commit
//! settings, one first key for replicas starting together.

extern crate aiid_registry_server as registry_server;
#[path = "support/pg_cluster.rs"]
mod pg_cluster;

use passport::{Capability, IdentityId, KeyId, Tier};
use registry_client::{RevocationKind, SurfaceEntry};
use registry_server::attestations::{
    AttestationStore, AttestationStoreError, StoredAttestation, MAX_AGENT_KEYS, MAX_LISTED,
};
use registry_server::store::{
    NewIdentity, RevokeOutcome, SqliteStore, Store, StoreError, StoredSigningKey,
};
use registry_server::{admin, pg::PgStore, StoreLocation};
use std::sync::Arc;
use std::time::Duration;

/// Opens handles on one fresh store.
trait Backend {
    fn open(&self) -> Arc<dyn Store>;
    /// A handle on the same registry's agent keys and attestations, opened
    /// as the server and the admin CLI open it.
    fn open_attestations(&self) -> Arc<dyn AttestationStore>;
}

struct Sqlite(tempfile::TempDir);

impl Backend for Sqlite {
    fn open(&self) -> Arc<dyn Store> {
        Arc::new(SqliteStore::open(&self.0.path().join("db.sqlite3")).unwrap())
    }
    fn open_attestations(&self) -> Arc<dyn AttestationStore> {
        let location = StoreLocation::DataDir(self.0.path().to_owned());
        registry_server::open_attestations(&location, &self.open(), Duration::from_secs(5)).unwrap()
    }
}

struct Postgres(String);

impl Backend for Postgres {
    fn open(&self) -> Arc<dyn Store> {
        Arc::new(PgStore::connect(&self.0).unwrap())
    }
    fn open_attestations(&self) -> Arc<dyn AttestationStore> {
        let location = StoreLocation::Postgres(self.0.clone());
        registry_server::open_attestations(&location, &self.open(), Duration::from_secs(5)).unwrap()
    }
}

fn sqlite() -> Option<Sqlite> {
    Some(Sqlite(tempfile::tempdir().unwrap()))
}

fn postgres() -> Option<Postgres> {
    pg_cluster::cluster().map(|c| Postgres(c.database("suite")))
}

fn id(s: &str) -> IdentityId {
    IdentityId::new(s).unwrap()
}

fn new_identity(tier: Tier) -> NewIdentity {
    NewIdentity {
        operator: "Acme Corp Ltd.".into(),
        tier,
        surfaces: vec![SurfaceEntry {
            surface: "mcp:tools.acme.example".parse().unwrap(),
            verified: true,
        }],
        capabilities: vec![Capability::new("customer-support").unwrap()],
    }
}

fn key(kid: &str, at: i64) -> StoredSigningKey {
    StoredSigningKey {
        kid: KeyId::new(kid).unwrap(),
        private_pem: Some(format!("pem of {kid}")),
        public_key: [u8::try_from(at).unwrap(); 32],
        created_at: at,
        delete_private_at: None,
        last_passport_expiry: None,
    }
}

mod cases {
    use super::*;

    pub(crate) fn identities(b: &dyn Backend) {
        let s = b.open();
        let a = id("aii_SUITEA");
        let rec = s
            .create_identity(&a, &new_identity(Tier::Issued), 100)
            .unwrap();
        assert_eq!(
            (rec.id.as_str(), rec.tier, rec.created_at, rec.updated_at),
            ("aii_SUITEA", Tier::Issued, 100, 100)
        );
        assert_eq!(rec.surfaces, new_identity(Tier::Issued).surfaces);
        assert_eq!(rec.capabilities[0].as_str(), "customer-support");
        assert_eq!(rec.revoked, None);
        // Ids are unique, whoever creates them.
        let other = b.open();
        assert!(matches!(
            other.create_identity(&a, &new_identity(Tier::Issued), 101),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(other.identity(&a).unwrap(), Some(rec.clone()));
        assert_eq!(s.identity(&id("aii_NOBODY")).unwrap(), None);
        let changed = s
            .set_tier(&a, Tier::BusinessVerified, 200)
            .unwrap()
            .unwrap();
        assert_eq!(
            (changed.tier, changed.created_at, changed.updated_at),
            (Tier::BusinessVerified, 100, 200)
        );
        assert_eq!(other.identity(&a).unwrap(), Some(changed));
        assert_eq!(
            s.set_tier(&id("aii_NOBODY"), Tier::Issued, 1).unwrap(),
            None
        );
        // Operators are stored as given (Unicode included).
        let mut n = new_identity(Tier::CreatorVerified);
        n.operator = "Société Générale — Ωmega".into();
        n.surfaces.clear();
        let u = s.create_identity(&id("aii_SUITEU"), &n, 5).unwrap();
        assert_eq!(s.identity(&u.id).unwrap().unwrap().operator, n.operator);
    }

    pub(crate) fn api_keys_and_scopes(b: &dyn Backend) {
        let s = b.open();
        s.create_api_key("h1", "acme", &["passport:issue".into()], 10)
            .unwrap();
        s.create_api_key(
            "h2",
            "globex",
            &["passport:issue".into(), "identity:revoke".into()],
            11,
        )
        .unwrap();
        let k1 = b.open().api_key("h1").unwrap().unwrap();
        assert_eq!(
            (k1.org.as_str(), k1.scopes.as_slice(), k1.created_at),
            ("acme", &["passport:issue".to_owned()][..], 10)
        );
        assert_eq!(
            s.api_key("h2").unwrap().unwrap().scopes,
            ["passport:issue", "identity:revoke"]
        );
        assert_eq!(s.api_key("h3").unwrap(), None);
        assert!(matches!(
            s.create_api_key("h1", "other", &["identity:revoke".into()], 12),
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(s.api_key("h1").unwrap().unwrap().org, "acme");
        // Through the admin layer: the key text is returned, its hash stored.
        let text =
            admin::create_api_key(s.as_ref(), "initech", &["identity:revoke".into()]).unwrap();
        let rec = s
            .api_key(&registry_server::ids::hash_api_key(&text))
            .unwrap()
            .unwrap();
        assert_eq!(rec.org, "initech");
        assert!(
            s.api_key(&text).unwrap().is_none(),
            "the key text is not stored"
        );
    }

    pub(crate) fn issue(b: &dyn Backend) {
        let s = b.open();
        let rec =
            admin::create_identity(s.as_ref(), &"anon".parse().unwrap(), Tier::Issued, &[], &[])
                .unwrap();
        let kid = admin::rotate_key(s.as_ref(), None).unwrap();
        s.record_passport("p_1", &rec.id, &kid, 1_000, 2_000)
            .unwrap();
        s.record_passport("p_2", &rec.id, &kid, 1_000, 2_000)
            .unwrap();
        assert!(matches!(
            b.open().record_passport("p_1", &rec.id, &kid, 1_000, 2_000),
            Err(StoreError::Conflict(_))
        ));
    }

    pub(crate) fn revoke(b: &dyn Backend) {
        let s = b.open();
        let a = id("aii_REVOKEA");
        s.create_identity(&a, &new_identity(Tier::Issued), 1)
            .unwrap();
        assert_eq!(s.revocation_seq().unwrap(), 0);
        // Unknown identities are not revoked and use no sequence number.
        assert_eq!(
            s.revoke(RevocationKind::Identity, "aii_NOBODY", "x", 2)
                .unwrap(),
            RevokeOutcome::UnknownIdentity
        );
        let RevokeOutcome::Revoked(first) = s
            .revoke(RevocationKind::Identity, a.as_str(), "key compromised", 3)
            .unwrap()
        else {
            panic!("not revoked");
        };
        assert_eq!(
            (
                first.seq,
                first.kind,
                first.subject.as_str(),
                first.revoked_at
            ),
            (1, RevocationKind::Identity, "aii_REVOKEA", 3)
        );
        // The record is marked in the same transaction.
        let rec = b.open().identity(&a).unwrap().unwrap();
        assert_eq!(rec.revoked, Some((3, "key compromised".into())));
        assert_eq!(rec.updated_at, 3);
        // Twice: the original entry, from any handle.
        assert_eq!(
            b.open()
                .revoke(RevocationKind::Identity, a.as_str(), "again", 9)
                .unwrap(),
            RevokeOutcome::AlreadyRevoked(first.clone())
        );
        // Passports and keys, by any id; a passport id is not an identity.
        for (kind, subject) in [
            (RevocationKind::Passport, "p_01ABC"),
            (RevocationKind::Passport, &"ab".repeat(32)),
            (RevocationKind::Key, "k_old"),
            (RevocationKind::Passport, "aii_NOBODY"),
        ] {
            assert!(
                matches!(
                    s.revoke(kind, subject, "r", 4).unwrap(),
                    RevokeOutcome::Revoked(_)
                ),
                "{subject}"
            );
        }
        assert_eq!(s.revocation_seq().unwrap(), 5);
        assert_eq!(s.identity(&id("aii_NOBODY")).unwrap(), None);
    }

    pub(crate) fn revocations_list(b: &dyn Backend) {
        let s = b.open();
        assert!(s.revocations().unwrap().is_empty());
        for i in 0..5 {
            s.revoke(
                RevocationKind::Passport,
                &format!("p_{i}"),
                &format!("r{i}"),
                100 + i,
            )
            .unwrap();
        }
        let list = b.open().revocations().unwrap();
        assert_eq!(list.len(), 5);
        for (i, e) in list.iter().enumerate() {
            assert_eq!(
                (e.subject.as_str(), e.reason.as_str(), e.kind),
                (
                    format!("p_{i}").as_str(),
                    format!("r{i}").as_str(),
                    RevocationKind::Passport
                )
            );
        }
        assert!(list.windows(2).all(|w| w[0].seq < w[1].seq), "oldest first");
        assert_eq!(s.revocation_seq().unwrap(), list[4].seq);
    }

    pub(crate) fn key_rotation(b: &dyn Backend) {
        let s = b.open();
        assert!(s.signing_keys().unwrap().is_empty());
        s.add_signing_key(&key("k_a", 1)).unwrap();
        s.add_signing_key(&key("k_b", 2)).unwrap();
        let keys = b.open().signing_keys().unwrap();
        let kids: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
        assert_eq!(kids, ["k_b", "k_a"], "newest first");
        assert_eq!(keys[0].private_pem.as_deref(), Some("pem of k_b"));
        assert_eq!((keys[0].public_key, keys[1].public_key), ([2; 32], [1; 32]));
        assert!(matches!(
            s.add_signing_key(&key("k_a", 3)),
            Err(StoreError::Conflict(_))
        ));
        // A real rotation: a parseable Ed25519 key becomes current.
        let kid = admin::rotate_key(b.open().as_ref(), None).unwrap();
        let keys = s.signing_keys().unwrap();
        assert_eq!(keys.len(), 3);
        assert_eq!(keys[0].kid, kid);
        let sk = passport::signing_key_from_pem(keys[0].private_pem.as_deref().unwrap()).unwrap();
        assert_eq!(sk.verifying_key().to_bytes(), keys[0].public_key);
        // The passport log tells how long a key's passports live.
        let who = id("aii_KEYS");
        s.record_passport("p_a1", &who, &KeyId::new("k_a").unwrap(), 1, 500)
            .unwrap();
        s.record_passport("p_a2", &who, &KeyId::new("k_a").unwrap(), 1, 900)
            .unwrap();
        let keys = b.open().signing_keys().unwrap();
        assert_eq!(
            (keys[2].last_passport_expiry, keys[1].last_passport_expiry),
            (Some(900), None)
        );
        // Retirement: the private part goes when due, the earlier schedule
        // wins, the public key stays.
        let ka = KeyId::new("k_a").unwrap();
        assert!(s.retire_signing_key(&ka, 100).unwrap());
        assert!(b.open().retire_signing_key(&ka, 200).unwrap());
        assert!(!s
            .retire_signing_key(&KeyId::new("k_zz").unwrap(), 1)
            .unwrap());
        assert_eq!(s.signing_keys().unwrap()[2].delete_private_at, Some(100));
        assert!(s.delete_due_private_keys(99).unwrap().is_empty());
        assert_eq!(
            b.open().delete_due_private_keys(100).unwrap(),
            vec![ka.clone()]
        );
        assert!(s.delete_due_private_keys(1000).unwrap().is_empty(), "once");
        let keys = s.signing_keys().unwrap();
        assert_eq!(
            (keys[2].private_pem.as_deref(), keys[2].public_key),
            (None, [1; 32])
        );
        assert!(keys[0].private_pem.is_some() && keys[1].private_pem.is_some());
    }

    /// Writers on several handles (replicas) at once: every revocation gets
    /// its own sequence number, none is lost, and exactly one of several
    /// racing creations of one identity wins.
    pub(crate) fn concurrent_writers(b: &dyn Backend) {
        const WRITERS: usize = 4;
        const EACH: usize = 15;
        let handles: Vec<Arc<dyn Store>> = (0..WRITERS).map(|_| b.open()).collect();
        let target = id("aii_CONTESTED");
        std::thread::scope(|sc| {
            let mut joins = Vec::new();
            for (w, s) in handles.iter().enumerate() {
                let target = target.clone();
                joins.push(sc.spawn(move || {
                    let won = s
                        .create_identity(&target, &new_identity(Tier::Issued), w as i64)
                        .is_ok();
                    let mut seqs = Vec::new();
                    for i in 0..EACH {
                        match s
                            .revoke(RevocationKind::Passport, &format!("p_{w}_{i}"), "r", 1)
                            .unwrap()
                        {
                            RevokeOutcome::Revoked(e) => seqs.push(e.seq),
                            other => panic!("{other:?}"),
                        }
                        // Everyone also races on one shared subject.
                        let _ = s
                            .revoke(RevocationKind::Passport, "p_shared", "r", 1)
                            .unwrap();
                    }
                    (won, seqs)
                }));
            }
            let results: Vec<(bool, Vec<i64>)> =
                joins.into_iter().map(|j| j.join().unwrap()).collect();
            assert_eq!(
                results.iter().filter(|r| r.0).count(),
                1,
                "one creation wins"
            );
            let mut all: Vec<i64> = results.iter().flat_map(|r| r.1.clone()).collect();
            all.sort_unstable();
            all.dedup();
            assert_eq!(all.len(), WRITERS * EACH, "sequence numbers are unique");
        });
        let list = b.open().revocations().unwrap();
        assert_eq!(list.len(), WRITERS * EACH + 1);
        assert_eq!(
            list.iter().filter(|e| e.subject == "p_shared").count(),
            1,
            "a subject is revoked once"
        );
        assert!(list.windows(2).all(|w| w[0].seq < w[1].seq));
        assert_eq!(
            handles[0].revocation_seq().unwrap(),
            list.last().unwrap().seq
        );
    }

    fn agent_jwk(kid: &str, seed: u8) -> passport::Jwk {
        let sk = passport::SigningKey::from_bytes(&[seed; 32]);
        passport::Jwk::new(KeyId::new(kid).unwrap(), sk.verifying_key())
    }

    fn attestation(n: usize, doc_hash: &str, received_at: i64) -> StoredAttestation {
        StoredAttestation {
            id: format!("{n:064x}"),
            doc_hash: doc_hash.to_owned(),
            identity: "aii_AGENT".into(),
            agent_kid: "agent-1".into(),
            declared_at: "2026-12-01T00:00:00Z".into(),
            received_at,
            envelope: format!(r#"{{"payload":"{n}","signatures":[]}}"#),
        }
    }

    /// Agent keys: added once (again is a no-op), another key under a
    /// taken kid and a key beyond the limit are refused, listed in the order
    /// added, seen at once through every other handle (replica, admin CLI).
    pub(crate) fn agent_keys(b: &dyn Backend) {
        let s = b.open_attestations();
        let who = id("aii_AGENT");
        assert!(s.agent_keys(&who).unwrap().keys().is_empty());
        assert!(s.add_agent_key(&who, &agent_jwk("agent-1", 1), 10).unwrap());
        assert!(!b
            .open_attestations()
            .add_agent_key(&who, &agent_jwk("agent-1", 1), 11)
            .unwrap());
        let e = s
            .add_agent_key(&who, &agent_jwk("agent-1", 2), 12)
            .unwrap_err();
        assert!(
            matches!(&e, AttestationStoreError::Conflict(m) if m.contains("agent-1")),
            "{e}"
        );
        assert!(s.add_agent_key(&who, &agent_jwk("agent-0", 3), 13).unwrap());
        let other = b.open_attestations();
        let keys = other.agent_keys(&who).unwrap();
        let got: Vec<(String, serde_json::Value)> = keys
            .keys()
            .iter()
            .map(|k| (k.kid.to_string(), k.to_json()))
            .collect();
        assert_eq!(
            got,
            [
                ("agent-1".to_owned(), agent_jwk("agent-1", 1).to_json()),
                ("agent-0".to_owned(), agent_jwk("agent-0", 3).to_json()),
            ],
            "in the order added, the stored key"
        );
        // Another identity may use the same kid; the limit is per identity.
        assert!(other
            .add_agent_key(&id("aii_OTHER"), &agent_jwk("agent-1", 9), 14)
            .unwrap());
        for i in 2..MAX_AGENT_KEYS {
            let seed = u8::try_from(10 + i).unwrap();
            assert!(s
                .add_agent_key(&who, &agent_jwk(&format!("k{i}"), seed), 20)
                .unwrap());
        }
        assert_eq!(s.agent_keys(&who).unwrap().keys().len(), MAX_AGENT_KEYS);
        let e = other
            .add_agent_key(&who, &agent_jwk("one-too-many", 99), 30)
            .unwrap_err();
        assert!(
            matches!(&e, AttestationStoreError::Conflict(m) if m.contains("16")),
            "{e}"
        );
        assert_eq!(s.agent_keys(&id("aii_OTHER")).unwrap().keys().len(), 1);
    }

    /// Attestations: stored once whoever stores them again, listed for their
    /// run only, newest first, at most MAX_LISTED, from any handle.
    pub(crate) fn attestations(b: &dyn Backend) {
        let s = b.open_attestations();
        let (run, other_run) = ("ab".repeat(32), "cd".repeat(32));
        assert!(s.for_run(&run).unwrap().is_empty());
        let first = attestation(1, &run, 100);
        assert!(s.insert(&first).unwrap());
        assert!(!b.open_attestations().insert(&first).unwrap(), "idempotent");
        assert!(s.insert(&attestation(2, &run, 300)).unwrap());
        assert!(s.insert(&attestation(3, &run, 200)).unwrap());
        assert!(s.insert(&attestation(4, &other_run, 400)).unwrap());
        let listed = b.open_attestations().for_run(&run).unwrap();
        let order: Vec<i64> = listed.iter().map(|a| a.received_at).collect();
        assert_eq!(order, [300, 200, 100], "newest first");
        assert_eq!(listed[2], first, "stored as given");
        assert_eq!(s.for_run(&other_run).unwrap().len(), 1);
        // The cap: the newest MAX_LISTED of MAX_LISTED + 5.
        let big = "ef".repeat(32);
        for n in 0..MAX_LISTED + 5 {
            assert!(s
                .insert(&attestation(1000 + n, &big, 1000 + n as i64))
                .unwrap());
        }
        let listed = s.for_run(&big).unwrap();
        assert_eq!(listed.len(), MAX_LISTED);
        assert_eq!(listed[0].received_at, 1000 + (MAX_LISTED + 4) as i64);
        assert_eq!(listed[MAX_LISTED - 1].received_at, 1005);
    }

    /// Several handles (replicas) storing the same attestations at once:
    /// each is stored exactly once and reported new exactly once.
    pub(crate) fn concurrent_attestations(b: &dyn Backend) {
        const HANDLES: usize = 4;
        let run = "12".repeat(32);
        let handles: Vec<Arc<dyn AttestationStore>> =
            (0..HANDLES).map(|_| b.open_attestations()).collect();
        let news: Vec<usize> = std::thread::scope(|sc| {
            let joins: Vec<_> = handles
                .iter()
                .map(|h| {
                    let run = run.clone();
                    sc.spawn(move || {
                        (0..10)
                            .filter(|n| h.insert(&attestation(*n, &run, 1)).unwrap())
                            .count()
                    })
                })
                .collect();
            joins.into_iter().map(|j| j.join().unwrap()).collect()
        });
        assert_eq!(news.iter().sum::<usize>(), 10, "{news:?}");
        assert_eq!(handles[0].for_run(&run).unwrap().len(), 10);
    }
}

macro_rules! suite {
    ($backend:ident) => {
        mod $backend {
            use super::*;
            suite!(@case $backend, identities);
            suite!(@case $backend, api_keys_and_scopes);
            suite!(@case $backend, issue);
            suite!(@case $backend, revoke);
            suite!(@case $backend, revocations_list);
            suite!(@case $backend, key_rotation);
            suite!(@case $backend, concurrent_writers);
            suite!(@case $backend, agent_keys);
            suite!(@case $backend, attestations);
            suite!(@case $backend, concurrent_attestations);
        }
    };
    (@case $backend:ident, $case:ident) => {
        #[test]
        fn $case() {
            match super::$backend() {
                Some(b) => cases::$case(&b),
                None => eprintln!("skipped {}::{}", stringify!($backend), stringify!($case)),
            }
        }
    };
}

suite!(sqlite);
suite!(postgres);

mod postgres_only {
    use super::*;
    use std::time::{Duration, Instant};

    fn url() -> Option<String> {
        pg_cluster::cluster().map(|c| c.database("pgonly"))
    }

    #[test]
    fn migrations_are_versioned_and_applied_once() {
        let Some(url) = url() else { return };
        let a = PgStore::connect(&url).unwrap();
        let b = PgStore::connect(&url).unwrap();
        let latest = registry_server::pg::MIGRATIONS.last().unwrap().0;
        assert_eq!(a.schema_version().unwrap(), latest);
        assert_eq!(b.schema_version().unwrap(), latest);
        let rows = pg_cluster::psql(&url, "SELECT count(*) FROM aiid_schema_migrations");
        assert_eq!(rows, registry_server::pg::MIGRATIONS.len().to_string());
        // A database from the future is refused, naming both versions.
        pg_cluster::psql(
            &url,
            "INSERT INTO aiid_schema_migrations VALUES (9999, 'future', 0)",
        );
        let e = PgStore::connect(&url).unwrap_err();
        assert!(
            matches!(e, StoreError::SchemaTooNew { found: 9999, known } if known == latest),
            "{e}"
        );
    }

    /// A database left at version 1 by an earlier release gains the agent
    /// key and attestation tables (migration 2) on the next start, with its
    /// data kept.
    #[test]
    fn a_version_1_database_is_migrated_to_attestations() {
        let Some(url) = url() else { return };
        let s = PgStore::connect(&url).unwrap();
        s.create_identity(&id("aii_OLD"), &new_identity(Tier::Issued), 1)
            .unwrap();
        drop(s);
        pg_cluster::psql(
            &url,
            "DROP TABLE agent_keys, attestations; DELETE FROM aiid_schema_migrations WHERE version > 1",
        );
        let att = registry_server::open_attestations(
            &StoreLocation::Postgres(url.clone()),
            &(Arc::new(PgStore::connect(&url).unwrap()) as Arc<dyn Store>),
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(PgStore::connect(&url).unwrap().schema_version().unwrap(), 2);
        assert!(att.for_run(&"00".repeat(32)).unwrap().is_empty());
        assert!(PgStore::connect(&url)
            .unwrap()
            .identity(&id("aii_OLD"))
            .unwrap()
            .is_some());
    }

    #[test]
    fn replicas_starting_together_create_one_first_key() {
        let Some(url) = url() else { return };
        let kids: Vec<String> = std::thread::scope(|sc| {
            let joins: Vec<_> = (0..3)
                .map(|_| {
                    let url = url.clone();
                    sc.spawn(move || {
                        let s = registry_server::open_database(&url).unwrap();
                        s.signing_keys().unwrap()[0].kid.to_string()
                    })
                })
                .collect();
            joins.into_iter().map(|j| j.join().unwrap()).collect()
        });
        assert!(kids.windows(2).all(|w| w[0] == w[1]), "{kids:?}");
        let s = PgStore::connect(&url).unwrap();
        assert_eq!(s.signing_keys().unwrap().len(), 1);
    }

    #[test]
    fn other_handles_are_notified_of_revocations() {
        let Some(url) = url() else { return };
        let a = PgStore::connect(&url).unwrap();
        let b = PgStore::connect(&url).unwrap();
        let mut rx = b.change_notifications().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        // Wait until b's LISTEN connection is up (it announces itself).
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), async {
                while *rx.borrow_and_update() == 0 {
                    rx.changed().await.unwrap();
                }
            })
            .await
            .unwrap();
        });
        let t0 = Instant::now();
        a.revoke(RevocationKind::Passport, "p_note", "r", 1)
            .unwrap();
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(1), rx.changed())
                .await
                .expect("no notification within 1 s")
                .unwrap();
        });
        assert!(t0.elapsed() < Duration::from_secs(1));
        assert_eq!(b.revocation_seq().unwrap(), 1);
    }

    #[test]
    fn notifications_resume_after_the_listen_connection_is_killed() {
        let Some(url) = url() else { return };
        let a = PgStore::connect(&url).unwrap();
        let b = PgStore::connect(&url).unwrap();
        let mut rx = b.change_notifications().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let wait_change = |rx: &mut tokio::sync::watch::Receiver<u64>, limit: Duration| {
            rt.block_on(async {
                tokio::time::timeout(limit, rx.changed())
                    .await
                    .expect("no change notification in time")
                    .unwrap();
            })
        };
        rt.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), async {
                while *rx.borrow_and_update() == 0 {
                    rx.changed().await.unwrap();
                }
            })
            .await
            .unwrap();
        });
        // The server side ends every LISTEN session on this database (both
        // stores' listeners): each reconnects and reports a change, since
        // notifications may have been missed meanwhile.
        let killed = pg_cluster::psql(
            &url,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        );
        assert_eq!(killed, "2");
        wait_change(&mut rx, Duration::from_secs(5));
        // Wait until b listens again, then a's next revocation reaches b.
        let t0 = Instant::now();
        loop {
            let n = pg_cluster::psql(
                &url,
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND query LIKE 'LISTEN%'",
            );
            if n == "2" {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "listeners did not come back"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        rx.borrow_and_update();
        a.revoke(RevocationKind::Passport, "p_after", "r", 1)
            .unwrap();
        wait_change(&mut rx, Duration::from_secs(1));
        assert_eq!(b.revocation_seq().unwrap(), 1);
    }

    #[test]
    fn commits_are_synchronous_even_when_the_server_default_is_off() {
        let Some(url) = url() else { return };
        let off = format!("{url}?options=-c%20synchronous_commit%3Doff");
        let s = PgStore::connect(&off).unwrap();
        assert_eq!(s.synchronous_commit().unwrap(), "on");
        let remote = format!("{url}?options=-c%20synchronous_commit%3Dremote_apply");
        let s = PgStore::connect(&remote).unwrap();
        assert_eq!(
            s.synchronous_commit().unwrap(),
            "remote_apply",
            "never lowered"
        );
    }

    #[test]
    fn unreachable_database_is_a_clear_error() {
        // A port nothing listens on (bound, then released).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let e = PgStore::connect(&format!("postgres://app:secret@127.0.0.1:{port}/registry"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(&format!("postgres://app@127.0.0.1:{port}/registry"))
                && e.contains("connect"),
            "{e}"
        );
        assert!(!e.contains("secret"), "{e}");
    }
}
