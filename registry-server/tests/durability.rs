//! An acknowledged revocation survives SIGKILL right after the answer.

extern crate aiid_registry_server as registry_server;
mod common;

use registry_client::{BlockingClient, ClientConfig, IssueRequest, RevokeRequest};
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

fn spawn(dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_registry-server"))
        .args(["--listen", "127.0.0.1:0", "--data"])
        .arg(dir)
        .args([
            "--rate-limit-unauthenticated",
            "0",
            "--rate-limit-verify",
            "0",
            "--rate-limit-whois",
            "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .strip_prefix("listening on ")
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (child, url)
}

#[test]
fn revocation_survives_kill_9_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let fx = common::fixture(dir.path(), &[]);
    let mut revoked_jtis = Vec::new();
    for round in 0..3 {
        let (mut child, url) = spawn(dir.path());
        let client = BlockingClient::new(ClientConfig::new(&url).with_api_key(&fx.key)).unwrap();
        // Everything acknowledged in earlier rounds is still there.
        let (list, _) = client.revocations().unwrap();
        assert_eq!(list.passports, revoked_jtis, "round {round}");
        let issued = client
            .issue(&IssueRequest {
                identity: fx.id.clone(),
                ttl_days: None,
                audience: None,
            })
            .unwrap();
        let ack = client
            .revoke(&RevokeRequest {
                passport: Some(issued.jti.clone()),
                reason: Some(format!("round {round}")),
                ..RevokeRequest::default()
            })
            .unwrap();
        assert!(ack.newly_revoked);
        // SIGKILL immediately after the acknowledgement.
        child.kill().unwrap();
        child.wait().unwrap();
        revoked_jtis.push(issued.jti);
    }
    let (mut child, url) = spawn(dir.path());
    let client = BlockingClient::new(ClientConfig::new(&url).with_api_key(&fx.key)).unwrap();
    let (list, doc) = client.revocations().unwrap();
    assert_eq!(list.passports, revoked_jtis);
    assert_eq!(doc.entries[2].reason, "round 2");
    // The identity itself, revoked and killed, then verified after restart.
    client
        .revoke(&RevokeRequest {
            identity: Some(fx.id.clone()),
            ..RevokeRequest::default()
        })
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let (mut child, url) = spawn(dir.path());
    let client = BlockingClient::new(ClientConfig::new(&url)).unwrap();
    let v = client.verify_id(&fx.id).unwrap();
    assert!(!v.valid);
    assert_eq!(v.error.as_deref(), Some("revoked"));
    child.kill().unwrap();
    child.wait().unwrap();
}
