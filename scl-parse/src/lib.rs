#![doc = include_str!("../README.md")]
// Errors are values here: no unwrap, expect, panic!, unreachable!, todo! or
// unimplemented! outside tests.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]
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
