//! `POST /api/mcp`: a JSON-RPC 2.0 MCP endpoint with the tools `verify`,
//! `whois`, `revocations` and `attestations` (stateless; no sessions, no batches).

use crate::app::{
    admit_mcp, json_response, lookup_record, read_body, revocations_document, verify_request,
    ApiError, Shared,
};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use registry_client::VerifyRequest;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// The MCP protocol revision this endpoint speaks.
pub const PROTOCOL_VERSION: &str = "2025-06-18";

/// A JSON-RPC answer. The `id` is the request's own JSON text, echoed byte
/// for byte (a large number such as `123456789012345678901234567890` is
/// never rounded through a float).
#[derive(Serialize)]
struct RpcOut {
    jsonrpc: &'static str,
    id: Box<RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<Value>,
}

fn null_id() -> Box<RawValue> {
    RawValue::from_string("null".to_owned()).unwrap_or_else(|_| RawValue::NULL.to_owned())
}

fn rpc_error(id: Box<RawValue>, code: i64, message: impl Into<String>) -> RpcOut {
    RpcOut {
        jsonrpc: "2.0",
        id,
        result: None,
        error: Some(json!({"code": code, "message": message.into()})),
    }
}

fn rpc_result(id: Box<RawValue>, result: Value) -> RpcOut {
    RpcOut {
        jsonrpc: "2.0",
        id,
        result: Some(result),
        error: None,
    }
}

/// Accepts any JSON value, failing on a duplicate member name in any object
/// at any depth.
struct NoDuplicates;

impl<'de> Deserialize<'de> for NoDuplicates {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicatesVisitor)
    }
}

struct NoDuplicatesVisitor;

impl<'de> serde::de::Visitor<'de> for NoDuplicatesVisitor {
    type Value = NoDuplicates;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_i64<E>(self, _: i64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_u64<E>(self, _: u64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_f64<E>(self, _: f64) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_str<E>(self, _: &str) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_unit<E>(self) -> Result<NoDuplicates, E> {
        Ok(NoDuplicates)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<NoDuplicates, A::Error> {
        while seq.next_element::<NoDuplicates>()?.is_some() {}
        Ok(NoDuplicates)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<NoDuplicates, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(k) = map.next_key::<String>()? {
            if !seen.insert(k.clone()) {
                return Err(serde::de::Error::custom(format!("duplicate member {k:?}")));
            }
            map.next_value::<NoDuplicates>()?;
        }
        Ok(NoDuplicates)
    }
}

/// The first duplicate member name in a JSON text, if any.
fn duplicate_member(text: &str) -> Option<String> {
    serde_json::from_str::<NoDuplicates>(text)
        .err()
        .map(|e| e.to_string())
}

fn tools() -> Value {
    json!([
        {
            "name": "verify",
            "description": "Verify an AI Identity passport (or look up a bare identity id) at this registry.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "passport": {"type": "string", "description": "compact JWT"},
                    "id": {"type": "string", "description": "aii_ identity id"},
                    "audience": {"type": "string"}
                }
            }
        },
        {
            "name": "whois",
            "description": "The public registry record of an identity.",
            "inputSchema": {
                "type": "object",
                "properties": {"id": {"type": "string"}},
                "required": ["id"]
            }
        },
        {
            "name": "revocations",
            "description": "The registry's revocation list.",
            "inputSchema": {"type": "object", "properties": {}}
        },
        {
            "name": "attestations",
            "description": "The verified run attestations stored for a run identity (SCL:V1 doc_hash).",
            "inputSchema": {
                "type": "object",
                "properties": {"doc_hash": {"type": "string", "description": "64 hex digits"}},
                "required": ["doc_hash"]
            }
        }
    ])
}

fn tool_result(v: Value, is_error: bool) -> Value {
    json!({
        "content": [{"type": "text", "text": v.to_string()}],
        "structuredContent": v,
        "isError": is_error,
    })
}

fn api_error_value(e: &ApiError) -> Value {
    json!({"error": e.code, "message": e.message, "status": e.status.as_u16()})
}

/// `tools/call` params.
#[derive(Deserialize)]
struct CallParams<'a> {
    name: Option<String>,
    #[serde(borrow)]
    arguments: Option<&'a RawValue>,
}

/// The `whois` tool's arguments.
#[derive(Deserialize)]
struct WhoisArgs {
    id: String,
}

/// The `attestations` tool's arguments.
#[derive(Deserialize)]
struct AttestationsArgs {
    doc_hash: String,
}

async fn call_tool(state: &Shared, id: Box<RawValue>, params: Option<&RawValue>) -> RpcOut {
    let params = params.map_or("{}", RawValue::get);
    let p: CallParams<'_> = match serde_json::from_str(params) {
        Ok(p) => p,
        Err(e) => return rpc_error(id, -32602, format!("invalid params: {e}")),
    };
    let Some(name) = p.name else {
        return rpc_error(id, -32602, "params.name (string) is required");
    };
    let args = p.arguments.map_or("{}", RawValue::get);
    if !args.trim_start().starts_with('{') {
        return rpc_error(id, -32602, "params.arguments must be an object");
    }
    if let Some(dup) = duplicate_member(args) {
        return rpc_error(id, -32602, format!("invalid arguments: {dup}"));
    }
    let internal = |e: serde_json::Error| ApiError::internal(e);
    let out = match name.as_str() {
        "verify" => match serde_json::from_str::<VerifyRequest>(args) {
            Ok(req) => verify_request(state, req)
                .await
                .and_then(|r| serde_json::to_value(r).map_err(internal)),
            Err(e) => return rpc_error(id, -32602, format!("invalid arguments: {e}")),
        },
        "whois" => match serde_json::from_str::<WhoisArgs>(args) {
            Ok(a) => match lookup_record(state, &a.id).await {
                Ok(r) => crate::attestations::whois_json(state, &r).await,
                Err(e) => Err(e),
            },
            Err(e) => {
                return rpc_error(
                    id,
                    -32602,
                    format!("arguments.id (string) is required: {e}"),
                )
            }
        },
        "revocations" => serde_json::to_value(revocations_document(state)).map_err(internal),
        "attestations" => match serde_json::from_str::<AttestationsArgs>(args) {
            Ok(a) => match crate::attestations::parse_doc_hash(&a.doc_hash) {
                Some(h) => crate::attestations::list(state, h).await,
                None => return rpc_error(id, -32602, "arguments.doc_hash must be 64 hex digits"),
            },
            Err(e) => {
                return rpc_error(
                    id,
                    -32602,
                    format!("arguments.doc_hash (string) is required: {e}"),
                )
            }
        },
        other => return rpc_error(id, -32602, format!("unknown tool {other:?}")),
    };
    match out {
        Ok(v) => {
            let invalid = v.get("valid") == Some(&Value::Bool(false));
            rpc_result(id, tool_result(v, invalid))
        }
        Err(e) => rpc_result(id, tool_result(api_error_value(&e), true)),
    }
}

/// A JSON-RPC request's members, as raw JSON.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    jsonrpc: Option<&'a RawValue>,
    #[serde(borrow)]
    method: Option<&'a RawValue>,
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    params: Option<&'a RawValue>,
}

/// Answers one JSON-RPC message; `None` for notifications.
async fn dispatch(state: &Shared, bytes: &[u8]) -> Option<RpcOut> {
    let env: Envelope<'_> = match serde_json::from_slice(bytes) {
        Ok(e) => e,
        Err(e) if e.is_syntax() || e.is_eof() => {
            return Some(rpc_error(null_id(), -32700, format!("invalid JSON: {e}")))
        }
        Err(e) => {
            return Some(rpc_error(
                null_id(),
                -32600,
                format!("a JSON-RPC request is one object (batches are not supported): {e}"),
            ))
        }
    };
    let text = std::str::from_utf8(bytes).unwrap_or_default();
    let str_of =
        |r: Option<&RawValue>| r.and_then(|r| serde_json::from_str::<String>(r.get()).ok());
    if str_of(env.jsonrpc).as_deref() != Some("2.0") {
        return Some(rpc_error(null_id(), -32600, "jsonrpc must be \"2.0\""));
    }
    let Some(method) = str_of(env.method) else {
        return Some(rpc_error(null_id(), -32600, "method (string) is required"));
    };
    // A missing id is a notification; `"id": null` is not valid here.
    let id = match env.id {
        None => None,
        Some(raw)
            if raw.get().starts_with('"')
                || raw
                    .get()
                    .starts_with(['-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) =>
        {
            Some(raw.to_owned())
        }
        Some(_) => {
            return Some(rpc_error(
                null_id(),
                -32600,
                "id must be a string or number",
            ))
        }
    };
    // Duplicate members in the tool arguments are -32602 (below); anywhere
    // else in the message they make the request invalid.
    let args_dup = method == "tools/call"
        && env
            .params
            .and_then(|p| serde_json::from_str::<CallParams<'_>>(p.get()).ok())
            .and_then(|p| p.arguments)
            .is_some_and(|a| duplicate_member(a.get()).is_some());
    if !args_dup {
        if let Some(dup) = duplicate_member(text) {
            return Some(rpc_error(
                id.unwrap_or_else(null_id),
                -32600,
                format!("invalid request: {dup}"),
            ));
        }
    }
    let id = id?;
    Some(match method.as_str() {
        "initialize" => rpc_result(
            id,
            json!({
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {"tools": {"listChanged": false}},
                "serverInfo": {"name": "aiid-registry", "version": env!("CARGO_PKG_VERSION")},
            }),
        ),
        "ping" => rpc_result(id, json!({})),
        "tools/list" => rpc_result(id, json!({"tools": tools()})),
        "tools/call" => call_tool(state, id, env.params).await,
        other => rpc_error(id, -32601, format!("method {other:?} not found")),
    })
}

pub(crate) async fn handle(
    State(state): State<Shared>,
    ConnectInfo(ip): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    admit_mcp(&state, &headers, ip).await?;
    let bytes = read_body(&state, &headers, body).await?;
    Ok(match dispatch(&state, &bytes).await {
        Some(v) => json_response(StatusCode::OK, &v),
        None => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::ACCEPTED;
            r
        }
    })
}
