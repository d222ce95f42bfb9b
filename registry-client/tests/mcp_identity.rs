//! The MCP identity check against a real registry on loopback: the server's
//! `/.well-known/ai-identity.json` is trusted only if this registry lists its
//! host as a verified surface.

extern crate aiid_registry_client as registry_client;
use axum::http::header;
use axum::routing::get;
use axum::Router;
use passport::Tier;
use passport::{McpError, McpPolicy};
use registry_client::{BlockingClient, ClientConfig, McpCheckError};
use registry_server::store::Store;
use registry_server::{admin, RateLimits, ServerConfig};

#[test]
fn mcp_server_identity_is_bound_to_its_host() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = registry_server::open_data_dir(dir.path()).unwrap();
    let mut cfg = ServerConfig::new(dir.path());
    cfg.rate_limits = RateLimits::unlimited();
    let (registry, mcp_listener, other_listener) = rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let m = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let o = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        (registry_server::start(l, cfg).await.unwrap(), m, o)
    });
    let mcp_host = mcp_listener.local_addr().unwrap().to_string();
    let other_host = other_listener.local_addr().unwrap().to_string();
    let bound = admin::create_identity(
        store.as_ref() as &dyn Store,
        &"Tools Inc".parse().unwrap(),
        Tier::IdentityVerified,
        &[format!("mcp:{mcp_host}").parse().unwrap()],
        &[],
    )
    .unwrap()
    .id;
    let doc = |id: &passport::IdentityId, registry: &str| -> &'static str {
        Box::leak(
            format!(r#"{{"version":"1","identity_id":"{id}","registry":"{registry}","issued_at":"2026-04-12T10:30:00Z"}}"#)
                .into_boxed_str(),
        )
    };
    // The MCP server publishes the bound identity; another server claims it too.
    let good = doc(&bound, &registry.url());
    let liar = doc(&bound, &registry.url());
    let serve = |l: tokio::net::TcpListener, body: &'static str| {
        let r = Router::new().route(
            "/.well-known/ai-identity.json",
            get(move || async move { ([(header::CONTENT_TYPE, "application/json")], body) }),
        );
        rt.spawn(async move { axum::serve(l, r).await });
    };
    serve(mcp_listener, good);
    serve(other_listener, liar);

    let client = BlockingClient::new(ClientConfig::new(registry.url())).unwrap();
    let policy = McpPolicy::new(Vec::<String>::new(), Tier::Issued);
    let ok = client
        .check_mcp_server(&format!("http://{mcp_host}"), &policy)
        .unwrap();
    assert_eq!(ok.identity, bound);
    assert_eq!(ok.host, mcp_host);

    // Same document served from another host: not a verified surface there.
    let e = client
        .check_mcp_server(&format!("http://{other_host}"), &policy)
        .unwrap_err();
    assert!(
        matches!(e, McpCheckError::Binding(McpError::SurfaceNotBound(_))),
        "{e:?}"
    );

    // Minimum tier.
    let strict = McpPolicy::new(Vec::<String>::new(), Tier::BusinessVerified);
    let e = client
        .check_mcp_server(&format!("http://{mcp_host}"), &strict)
        .unwrap_err();
    assert!(
        matches!(e, McpCheckError::Binding(McpError::TierTooLow { .. })),
        "{e:?}"
    );

    // A client configured for another registry refuses the document's registry
    // instead of following it.
    let elsewhere = BlockingClient::new(ClientConfig::new("http://127.0.0.1:9")).unwrap();
    let e = elsewhere
        .check_mcp_server(&format!("http://{mcp_host}"), &policy)
        .unwrap_err();
    assert!(
        matches!(e, McpCheckError::Binding(McpError::UntrustedRegistry(_))),
        "{e:?}"
    );
    rt.block_on(registry.shutdown()).unwrap();
}
