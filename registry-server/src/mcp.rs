//! `POST /api/mcp`: a JSON-RPC 2.0 MCP endpoint with the tools `verify`,
//! `whois`, `revocations` and `attestations` (stateless; no sessions, no batches).

use crate::app::{
    admit_mcp, json_response, lookup_record, parse_json, read_body, revocations_document,
    verify_request, ApiError, Shared,
};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use registry_client::VerifyRequest;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// The MCP protocol revision this endpoint speaks.
pub const PROTOCOL_VERSION: &str = "2025-06-18";

fn rpc_error(id: Value, code: i64, message: impl Into<String>) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message.into()}})
}

fn rpc_result(id: Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
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

async fn call_tool(state: &Shared, id: Value, params: &Value) -> Value {
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return rpc_error(id, -32602, "params.name (string) is required");
    };
    let args = params
        .get("arguments")
        .cloned()
        .unwrap_or_else(|| json!({}));
    if !args.is_object() {
        return rpc_error(id, -32602, "params.arguments must be an object");
    }
    let out = match name {
        "verify" => match serde_json::from_value::<VerifyRequest>(args) {
            Ok(req) => verify_request(state, req).await.and_then(|r| {
                serde_json::to_value(r).map_err(|e| {
                    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
                })
            }),
            Err(e) => return rpc_error(id, -32602, format!("invalid arguments: {e}")),
        },
        "whois" => match args.get("id").and_then(Value::as_str) {
            Some(i) => match lookup_record(state, i).await {
                Ok(r) => crate::attestations::whois_json(state, &r).await,
                Err(e) => Err(e),
            },
            None => return rpc_error(id, -32602, "arguments.id (string) is required"),
        },
        "revocations" => serde_json::to_value(revocations_document(state)).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
        }),
        "attestations" => match args.get("doc_hash").and_then(Value::as_str) {
            Some(h) => match crate::attestations::parse_doc_hash(h) {
                Some(h) => crate::attestations::list(state, h).await,
                None => return rpc_error(id, -32602, "arguments.doc_hash must be 64 hex digits"),
            },
            None => return rpc_error(id, -32602, "arguments.doc_hash (string) is required"),
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

/// Answers one JSON-RPC message; `None` for notifications.
pub(crate) async fn dispatch(state: &Shared, msg: Value) -> Option<Value> {
    let Some(obj) = msg.as_object() else {
        return Some(rpc_error(
            Value::Null,
            -32600,
            "a JSON-RPC request is an object (batches are not supported)",
        ));
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Some(rpc_error(Value::Null, -32600, "jsonrpc must be \"2.0\""));
    }
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        return Some(rpc_error(
            Value::Null,
            -32600,
            "method (string) is required",
        ));
    };
    let id = match obj.get("id") {
        None => return None, // a notification: nothing to answer
        Some(v @ (Value::String(_) | Value::Number(_))) => v.clone(),
        Some(_) => {
            return Some(rpc_error(
                Value::Null,
                -32600,
                "id must be a string or number",
            ))
        }
    };
    let params = obj.get("params").cloned().unwrap_or_else(|| json!({}));
    Some(match method {
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
        "tools/call" => call_tool(state, id, &params).await,
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
    let bytes = read_body(&headers, body).await?;
    let msg: Value = match parse_json(&bytes) {
        Ok(v) => v,
        Err(e) => {
            return Ok(json_response(
                StatusCode::OK,
                &rpc_error(Value::Null, -32700, e.message),
            ))
        }
    };
    Ok(match dispatch(&state, msg).await {
        Some(v) => json_response(StatusCode::OK, &v),
        None => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::ACCEPTED;
            r
        }
    })
}
