#![doc = include_str!("../README.md")]
#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

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
