#![forbid(unsafe_code)]
#![warn(missing_docs)]
//! # aiid — deterministic identity for AI
//!
//! The facade over this project's crates:
//!
//! * **Run declarations** (SCL:V1): bytes → AST ([`scl_parse`]) → canonical
//!   JSON ([`scl_canon`]) → SHA-256 identity ([`scl_hash`]).
//! * **Agents** (AI Identity passports): the [`passport`] crate.
//!
//! ```
//! let input = b"SCL:V1\n\nhandles {\n  h1(\"test\")\n}\nscl {\n  \"hello world\"\n}";
//! let id = aiid::identity(input)?;
//! assert_eq!(id.to_string(), "56e66666e6597fe83feed1325b516635831a7b5d2216f7520a569230a7673612");
//!
//! let err = aiid::identity(b"SCL:V2\n\n").unwrap_err();
//! assert_eq!((err.code().as_str(), err.offset().get()), ("E101", 5));
//! # Ok::<(), aiid::ParseError>(())
//! ```

pub use passport;
pub use scl_canon;
pub use scl_hash;
pub use scl_parse;

pub use scl_hash::{hash_raw_input, verify, DocHash, RawInputHash, VerifyError};
pub use scl_parse::{
    ByteOffset, Content, Document, DocumentBuilder, ErrorCode, Handle, LineColumn, ParseError,
};

pub mod engine;

/// Parses SCL:V1 bytes into a [`Document`] (borrowing from `input`).
pub fn parse(input: &[u8]) -> Result<Document<'_>, ParseError> {
    scl_parse::parse(input)
}

/// The canonical JSON bytes of SCL:V1 input.
pub fn canonical(input: &[u8]) -> Result<Vec<u8>, ParseError> {
    Ok(scl_canon::to_vec(&scl_parse::parse(input)?))
}

/// The identity of SCL:V1 input: SHA-256 of its canonical JSON.
pub fn identity(input: &[u8]) -> Result<DocHash, ParseError> {
    scl_hash::identity(input)
}
