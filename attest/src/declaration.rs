//! Run declarations (`spec/run-declaration.md`, vocabulary `aiid-run/1`):
//! the parts of a declared execution as SCL:V1 handles and content, in one
//! normalised order, so that the same declared execution always yields the
//! same bytes and the same identity.

use passport::IdentityId;
use passport::{parse_value, JsonError};
use scl_parse::{BuildError, Document, DocumentBuilder};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The vocabulary version, written as the tag of the first handle.
pub const VOCABULARY: &str = "aiid-run/1";

/// The handle ids, in the order they are written.
pub const HANDLE_ORDER: [&str; 7] = [
    "vocabulary",
    "model",
    "params",
    "context",
    "tools",
    "constraints",
    "agent",
];

/// The largest context file hashed (files are streamed, this only bounds time): 1 GiB.
pub const MAX_CONTEXT_FILE: u64 = 1 << 30;

/// Why a run declaration cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeclarationError {
    /// The model is not `provider:NAME[:SNAPSHOT]`.
    #[error("model {value:?}: {reason} (expected provider:NAME[:SNAPSHOT])")]
    Model {
        /// The value given.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A parameter is not `KEY=VALUE` with a valid key.
    #[error("parameter {value:?}: {reason}")]
    Param {
        /// The value given.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Two parameters with one key (after normalisation).
    #[error("parameter {0:?} is given twice")]
    DuplicateParam(String),
    /// A value cannot be an SCL:V1 tag.
    #[error("{field} {value:?}: {reason}")]
    Tag {
        /// Which field (`constraint`, `tool`, `model`, `parameter`).
        field: &'static str,
        /// The value given.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// A context file could not be read.
    #[error("context file {path}: {reason}")]
    ContextFile {
        /// The path.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// A `sha256:` context digest is not 64 hex digits.
    #[error("context {0:?}: a digest is sha256: followed by 64 hex digits")]
    ContextDigest(String),
    /// The agent is not an AI Identity id.
    #[error("agent {value:?}: {reason}")]
    Agent {
        /// The value given.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// No prompt was given, or it is empty.
    #[error("a run declaration needs a non-empty prompt")]
    NoPrompt,
    /// The prompt file could not be read, or is not UTF-8.
    #[error("prompt file {path}: {reason}")]
    PromptFile {
        /// The path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The prompt cannot be represented in SCL:V1 (TAB, a lone CR, or a
    /// first line starting with `"`).
    #[error("the prompt cannot be represented in SCL:V1: {0}")]
    Prompt(#[source] BuildError),
    /// A `--from` JSON document is not valid.
    #[error("declaration JSON: {0}")]
    Json(String),
}

impl DeclarationError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            DeclarationError::Model { .. } => "bad_model",
            DeclarationError::Param { .. } => "bad_param",
            DeclarationError::DuplicateParam(_) => "duplicate_param",
            DeclarationError::Tag { .. } => "bad_tag",
            DeclarationError::ContextFile { .. } => "context_unreadable",
            DeclarationError::ContextDigest(_) => "bad_context_digest",
            DeclarationError::Agent { .. } => "bad_agent",
            DeclarationError::NoPrompt => "no_prompt",
            DeclarationError::PromptFile { .. } => "prompt_unreadable",
            DeclarationError::Prompt(_) => "prompt_unrepresentable",
            DeclarationError::Json(_) => "bad_json",
        }
    }
}

/// A declared execution, normalised as it is added; see
/// `spec/run-declaration.md` for every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunDeclaration {
    model: Vec<String>,
    params: BTreeMap<String, String>,
    context: BTreeSet<String>,
    tools: BTreeSet<String>,
    constraints: BTreeSet<String>,
    agent: Option<IdentityId>,
    prompt: Option<String>,
}

fn tag_value(field: &'static str, raw: &str) -> Result<String, DeclarationError> {
    let v = raw.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\n' || c == '\r');
    if v.is_empty() {
        return Err(DeclarationError::Tag {
            field,
            value: raw.to_owned(),
            reason: "empty".into(),
        });
    }
    if let Some(c) = v.chars().find(|&c| c == '"' || c < ' ' || c == '\u{7f}') {
        return Err(DeclarationError::Tag {
            field,
            value: raw.to_owned(),
            reason: format!("{c:?} cannot appear in an SCL:V1 tag"),
        });
    }
    Ok(v.to_owned())
}

/// Decimal numbers get one spelling: no `+`, no leading zeros, no trailing
/// fraction zeros, no `-0`; `true`/`false` in any case become lowercase;
/// anything else is kept as given.
pub fn normalise_value(v: &str) -> String {
    if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false") {
        return v.to_ascii_lowercase();
    }
    let (neg, body) = match v.as_bytes().first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, v),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(int)
        || !frac.is_none_or(all_digits)
        || (int.is_empty() && frac.is_none_or(str::is_empty))
    {
        return v.to_owned();
    }
    let int = int.trim_start_matches('0');
    let frac = frac.unwrap_or("").trim_end_matches('0');
    let mut out = String::new();
    if int.is_empty() && frac.is_empty() {
        return "0".into();
    }
    if neg {
        out.push('-');
    }
    out.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

impl RunDeclaration {
    /// A declaration of a run of `model` (`provider:NAME[:SNAPSHOT]`; the
    /// provider is lowercased and must match `[a-z0-9][a-z0-9._-]*`; the
    /// name and snapshot are kept as given, trimmed).
    pub fn new(model: &str) -> Result<RunDeclaration, DeclarationError> {
        let err = |reason| DeclarationError::Model {
            value: model.to_owned(),
            reason,
        };
        let (provider, rest) = model.split_once(':').ok_or_else(|| err("no provider"))?;
        let provider = provider.trim().to_ascii_lowercase();
        let ok_provider = provider.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || (i > 0 && (b == b'.' || b == b'_' || b == b'-'))
        });
        if provider.is_empty() || !ok_provider {
            return Err(err("the provider must match [a-z0-9][a-z0-9._-]*"));
        }
        let (name, snapshot) = match rest.split_once(':') {
            Some((n, s)) => (n, Some(s)),
            None => (rest, None),
        };
        if name.trim().is_empty() {
            return Err(err("the name is empty"));
        }
        let mut tags = vec![
            format!("provider:{provider}"),
            format!("name:{}", tag_value("model", name)?),
        ];
        if let Some(s) = snapshot {
            if s.trim().is_empty() {
                return Err(err("the snapshot is empty"));
            }
            tags.push(format!("snapshot:{}", tag_value("model", s)?));
        }
        Ok(RunDeclaration {
            model: tags,
            params: BTreeMap::new(),
            context: BTreeSet::new(),
            tools: BTreeSet::new(),
            constraints: BTreeSet::new(),
            agent: None,
            prompt: None,
        })
    }

    /// Adds a parameter `KEY=VALUE` (split at the first `=`; the key is
    /// lowercased and must match `[a-z0-9_.-]+`; the value is trimmed and
    /// normalised by [`normalise_value`]).
    pub fn param(mut self, kv: &str) -> Result<RunDeclaration, DeclarationError> {
        let err = |reason| DeclarationError::Param {
            value: kv.to_owned(),
            reason,
        };
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| err("expected KEY=VALUE"))?;
        let key = k.trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(err("the key is empty"));
        }
        if !key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
        {
            return Err(err("the key must match [a-z0-9_.-]+"));
        }
        let value = normalise_value(&tag_value("parameter", v)?);
        if self.params.insert(key.clone(), value).is_some() {
            return Err(DeclarationError::DuplicateParam(key));
        }
        Ok(self)
    }

    /// Adds a context document by content: its SHA-256 is declared, not the bytes.
    pub fn context_bytes(mut self, bytes: &[u8]) -> RunDeclaration {
        self.context.insert(hex(&Sha256::digest(bytes)));
        self
    }

    /// Adds a context document by digest, `sha256:<64 hex>` (either case).
    pub fn context_digest(mut self, digest: &str) -> Result<RunDeclaration, DeclarationError> {
        match digest.strip_prefix("sha256:") {
            Some(h) if is_hex64(h) => {
                self.context.insert(h.to_ascii_lowercase());
                Ok(self)
            }
            _ => Err(DeclarationError::ContextDigest(digest.to_owned())),
        }
    }

    /// Adds a context file (streamed through SHA-256, never embedded).
    pub fn context_file(mut self, path: &Path) -> Result<RunDeclaration, DeclarationError> {
        let err = |reason: String| DeclarationError::ContextFile {
            path: path.display().to_string(),
            reason,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
        if !meta.is_file() {
            return Err(err("not a regular file".into()));
        }
        if meta.len() > MAX_CONTEXT_FILE {
            return Err(err(format!("larger than {MAX_CONTEXT_FILE} bytes")));
        }
        let mut f = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = std::io::Read::read(&mut f, &mut buf).map_err(|e| err(e.to_string()))?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
        }
        self.context.insert(hex(&h.finalize()));
        Ok(self)
    }

    /// Adds a constraint (trimmed; duplicates collapse).
    pub fn constraint(mut self, c: &str) -> Result<RunDeclaration, DeclarationError> {
        self.constraints.insert(tag_value("constraint", c)?);
        Ok(self)
    }

    /// Adds a tool (trimmed; duplicates collapse).
    pub fn tool(mut self, t: &str) -> Result<RunDeclaration, DeclarationError> {
        self.tools.insert(tag_value("tool", t)?);
        Ok(self)
    }

    /// Sets the declaring agent's AI Identity id.
    pub fn agent(mut self, id: &str) -> Result<RunDeclaration, DeclarationError> {
        let id = IdentityId::new(id.trim()).map_err(|e| DeclarationError::Agent {
            value: id.to_owned(),
            reason: e.to_string(),
        })?;
        self.agent = Some(id);
        Ok(self)
    }

    /// Sets the prompt: CRLF becomes LF and one final LF is dropped (so a
    /// text file and the same text on the command line agree); it must then
    /// be non-empty and representable in SCL:V1.
    pub fn prompt(mut self, text: &str) -> Result<RunDeclaration, DeclarationError> {
        let mut p = text.replace("\r\n", "\n");
        if p.ends_with('\n') {
            p.pop();
        }
        if p.is_empty() {
            return Err(DeclarationError::NoPrompt);
        }
        // Check representability now, so the error names the prompt.
        DocumentBuilder::new()
            .handle("x", ["x"])
            .content(p.as_str())
            .build()
            .map_err(DeclarationError::Prompt)?;
        self.prompt = Some(p);
        Ok(self)
    }

    /// Reads the prompt from a file (UTF-8).
    pub fn prompt_file(self, path: &Path) -> Result<RunDeclaration, DeclarationError> {
        let bytes = std::fs::read(path).map_err(|e| DeclarationError::PromptFile {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let text = String::from_utf8(bytes).map_err(|e| DeclarationError::PromptFile {
            path: path.display().to_string(),
            reason: format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()),
        })?;
        self.prompt(&text)
    }

    /// The SCL:V1 document (through `scl_parse::DocumentBuilder`, which
    /// chooses quoted or raw mode).
    pub fn to_document(&self) -> Result<Document<'static>, DeclarationError> {
        let prompt = self.prompt.as_deref().ok_or(DeclarationError::NoPrompt)?;
        let mut b = DocumentBuilder::new()
            .handle("vocabulary", [VOCABULARY])
            .handle("model", self.model.iter().cloned());
        if !self.params.is_empty() {
            b = b.handle(
                "params",
                self.params.iter().map(|(k, v)| format!("{k}={v}")),
            );
        }
        if !self.context.is_empty() {
            b = b.handle(
                "context",
                self.context.iter().map(|h| format!("sha256:{h}")),
            );
        }
        if !self.tools.is_empty() {
            b = b.handle("tools", self.tools.iter().cloned());
        }
        if !self.constraints.is_empty() {
            b = b.handle("constraints", self.constraints.iter().cloned());
        }
        if let Some(a) = &self.agent {
            b = b.handle("agent", [a.to_string()]);
        }
        b.content(prompt).build().map_err(DeclarationError::Prompt)
    }

    /// The SCL:V1 bytes.
    pub fn to_scl(&self) -> Result<Vec<u8>, DeclarationError> {
        Ok(self.to_document()?.to_scl())
    }

    /// Builds a declaration from a JSON object with the same fields as the
    /// command line: `model` (string, required), `prompt` or `prompt_file`
    /// (string, exactly one), `params` (object of string, number or boolean
    /// values, or array of `"K=V"` strings), `context` (array of file paths
    /// or `sha256:<hex>` digests), `constraints`, `tools` (arrays of
    /// strings), `agent` (string). Relative paths are resolved against
    /// `base_dir`. Unknown or repeated members are errors.
    pub fn from_json(text: &[u8], base_dir: &Path) -> Result<RunDeclaration, DeclarationError> {
        let jerr = |m: String| DeclarationError::Json(m);
        let m = match parse_value(text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => return Err(jerr("not a JSON object".into())),
            Err(JsonError::Duplicate(n)) => return Err(jerr(format!("duplicate member {n:?}"))),
            Err(e) => return Err(jerr(format!("{e:?}"))),
        };
        const FIELDS: [&str; 8] = [
            "model",
            "prompt",
            "prompt_file",
            "params",
            "context",
            "constraints",
            "tools",
            "agent",
        ];
        if let Some(k) = m.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(jerr(format!(
                "unknown member {k:?} (expected one of {})",
                FIELDS.join(", ")
            )));
        }
        let string = |name: &str| -> Result<Option<&str>, DeclarationError> {
            match m.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(jerr(format!("{name} must be a string"))),
            }
        };
        let strings = |name: &str| -> Result<Vec<&str>, DeclarationError> {
            match m.get(name) {
                None => Ok(Vec::new()),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .ok_or_else(|| jerr(format!("{name} must hold strings")))
                    })
                    .collect(),
                Some(_) => Err(jerr(format!("{name} must be an array of strings"))),
            }
        };
        let model = string("model")?.ok_or_else(|| jerr("model is required".into()))?;
        let mut d = RunDeclaration::new(model)?;
        match m.get("params") {
            None => {}
            Some(Value::Object(o)) => {
                for (k, v) in o {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => {
                            return Err(jerr(format!(
                                "params.{k} must be a string, number or boolean"
                            )))
                        }
                    };
                    d = d.param(&format!("{k}={v}"))?;
                }
            }
            Some(Value::Array(_)) => {
                for kv in strings("params")? {
                    d = d.param(kv)?;
                }
            }
            Some(_) => return Err(jerr("params must be an object or an array".into())),
        }
        for c in strings("context")? {
            d = d.context_arg(c, base_dir)?;
        }
        for c in strings("constraints")? {
            d = d.constraint(c)?;
        }
        for t in strings("tools")? {
            d = d.tool(t)?;
        }
        if let Some(a) = string("agent")? {
            d = d.agent(a)?;
        }
        match (string("prompt")?, string("prompt_file")?) {
            (Some(p), None) => d.prompt(p),
            (None, Some(f)) => d.prompt_file(&resolve(base_dir, f)),
            (None, None) => Err(DeclarationError::NoPrompt),
            (Some(_), Some(_)) => Err(jerr("give prompt or prompt_file, not both".into())),
        }
    }

    /// A context argument: one starting with `sha256:` is a digest (which
    /// must be 64 hex digits), anything else a file path (relative paths
    /// against `base_dir`).
    pub fn context_arg(
        self,
        arg: &str,
        base_dir: &Path,
    ) -> Result<RunDeclaration, DeclarationError> {
        if arg.starts_with("sha256:") {
            self.context_digest(arg)
        } else {
            self.context_file(&resolve(base_dir, arg))
        }
    }
}

fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_owned()
    } else {
        base.join(p)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_booleans_have_one_spelling() {
        for (a, b) in [
            ("0", "0"),
            ("0.70", "0.7"),
            ("+1", "1"),
            ("007", "7"),
            ("1.0", "1"),
            ("-0.0", "0"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-1.250", "-1.25"),
            ("TRUE", "true"),
            ("False", "false"),
            ("1e3", "1e3"),
            ("abc", "abc"),
            ("-", "-"),
            (".", "."),
            ("1.2.3", "1.2.3"),
            ("", ""),
        ] {
            assert_eq!(normalise_value(a), b, "{a}");
        }
    }

    #[test]
    fn order_of_additions_does_not_matter() {
        let a = RunDeclaration::new("Anthropic:claude:2025")
            .unwrap()
            .param("temperature=0.0")
            .unwrap()
            .param("seed=42")
            .unwrap()
            .tool("search")
            .unwrap()
            .tool("calc")
            .unwrap()
            .constraint("pii:redact")
            .unwrap()
            .constraint("network:deny")
            .unwrap()
            .context_bytes(b"one")
            .context_bytes(b"two")
            .prompt("Hi\r\n")
            .unwrap();
        let b = RunDeclaration::new("anthropic:claude:2025")
            .unwrap()
            .prompt("Hi")
            .unwrap()
            .context_bytes(b"two")
            .constraint(" network:deny ")
            .unwrap()
            .tool("calc")
            .unwrap()
            .param(" SEED = +42")
            .unwrap()
            .context_bytes(b"one")
            .context_bytes(b"one")
            .tool("search")
            .unwrap()
            .param("temperature=0")
            .unwrap()
            .constraint("pii:redact")
            .unwrap();
        assert_eq!(a.to_scl().unwrap(), b.to_scl().unwrap());
        let text = String::from_utf8(a.to_scl().unwrap()).unwrap();
        assert!(text.starts_with("SCL:V1\n\nhandles {\n  vocabulary(\"aiid-run/1\")\n  model(\"provider:anthropic\",\"name:claude\",\"snapshot:2025\")\n  params(\"seed=42\",\"temperature=0\")\n"), "{text}");
    }

    #[test]
    fn bad_input_is_named() {
        assert_eq!(RunDeclaration::new("gpt").unwrap_err().code(), "bad_model");
        assert_eq!(RunDeclaration::new(":x").unwrap_err().code(), "bad_model");
        assert_eq!(
            RunDeclaration::new("a b:x").unwrap_err().code(),
            "bad_model"
        );
        assert_eq!(RunDeclaration::new("a:").unwrap_err().code(), "bad_model");
        assert_eq!(RunDeclaration::new("a:b:").unwrap_err().code(), "bad_model");
        assert_eq!(RunDeclaration::new("a:b\"c").unwrap_err().code(), "bad_tag");
        let d = RunDeclaration::new("a:b").unwrap();
        assert_eq!(d.clone().param("seed").unwrap_err().code(), "bad_param");
        assert_eq!(d.clone().param("=1").unwrap_err().code(), "bad_param");
        assert_eq!(d.clone().param("a b=1").unwrap_err().code(), "bad_param");
        assert_eq!(
            d.clone().param("a=1").unwrap().param("A=2").unwrap_err(),
            DeclarationError::DuplicateParam("a".into())
        );
        assert_eq!(
            d.clone().prompt("\"quoted").unwrap_err().code(),
            "prompt_unrepresentable"
        );
        assert_eq!(
            d.clone().prompt("a\tb").unwrap_err().code(),
            "prompt_unrepresentable"
        );
        assert_eq!(
            d.clone().prompt("a\rb").unwrap_err().code(),
            "prompt_unrepresentable"
        );
        assert_eq!(d.clone().prompt("\n").unwrap_err().code(), "no_prompt");
        assert_eq!(d.clone().to_scl().unwrap_err().code(), "no_prompt");
        assert_eq!(d.clone().agent("bob").unwrap_err().code(), "bad_agent");
        assert_eq!(
            d.clone().context_digest("sha256:12").unwrap_err().code(),
            "bad_context_digest"
        );
        assert_eq!(
            d.clone()
                .context_arg("sha256:zz", Path::new(""))
                .unwrap_err()
                .code(),
            "bad_context_digest"
        );
        let by_digest = d
            .clone()
            .context_arg(&format!("sha256:{}", "AB".repeat(32)), Path::new(""))
            .unwrap();
        let by_hex = d
            .clone()
            .context_digest(&format!("sha256:{}", "ab".repeat(32)))
            .unwrap();
        assert_eq!(by_digest, by_hex, "digests are lowercased");
        assert_eq!(
            d.clone()
                .context_file(Path::new("/nonexistent/x"))
                .unwrap_err()
                .code(),
            "context_unreadable"
        );
    }
}
