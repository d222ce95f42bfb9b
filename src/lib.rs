#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![doc = include_str!("../README.md")]

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
