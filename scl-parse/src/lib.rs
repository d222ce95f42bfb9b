#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![doc = include_str!("../README.md")]

mod builder;
mod document;
mod error;
mod parser;
mod validate;

pub use builder::DocumentBuilder;
pub use document::{Chunks, Content, ContentMode, Document, Handle};
pub use error::{
    line_column, ByteOffset, ErrorCode, LineColumn, ParseError, Reason, UnknownErrorCode,
};
pub use parser::parse;
pub use validate::BuildError;
