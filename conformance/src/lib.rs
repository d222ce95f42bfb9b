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

mod engine;
mod passport;
mod run;
mod scl;

pub use engine::{Engine, InProcess, ProcessOutput, Protocol, RunError, Subprocess};
pub use passport::{
    compare_passport, Layer, Passport, PassportAnswer, PassportDefaults, PassportExpected,
    PassportRequest, PassportVector, PassportVectorFile, PolicySpec, Revocations,
    PASSPORT_VECTORS_JSON,
};
pub use run::{coverage, Outcome, Selection, Strictness, Totals};
pub use scl::{
    check_vector, compare, export, Answer, Expected, Scl, Vector, VectorFile, SCL_V1_VECTORS_JSON,
};

use std::sync::Arc;

/// A problem with a vector file (either suite).
#[derive(Debug, Clone, thiserror::Error)]
pub enum VectorError {
    /// Not JSON of the expected shape.
    #[error("vector file is not valid: {source}")]
    Json {
        /// The parser's reason (with line and column).
        #[source]
        source: Arc<serde_json::Error>,
    },
    /// Two vectors share an id.
    #[error("duplicate vector id {0:?}")]
    DuplicateId(String),
    /// `input_b64` is not standard base64.
    #[error("vector {id}: input_b64 is not base64: {message}")]
    Base64 {
        /// The vector.
        id: String,
        /// What is wrong.
        message: String,
    },
    /// The expectation lacks a field its `valid` requires, or has extra ones.
    #[error("vector {id}: {rule}")]
    BadExpectation {
        /// The vector.
        id: String,
        /// The shape the expectation must have.
        rule: &'static str,
    },
    /// A request field is neither in the vector nor in the file's defaults.
    #[error("vector {id}: no `{field}`, and the file's defaults have none")]
    MissingField {
        /// The vector.
        id: String,
        /// The field.
        field: &'static str,
    },
}

impl VectorError {
    /// Every code [`VectorError::code`] returns.
    pub const CODES: [&'static str; 5] = [
        "json",
        "duplicate_id",
        "base64",
        "bad_expectation",
        "missing_field",
    ];

    /// A stable machine-readable code for the kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            VectorError::Json { .. } => "json",
            VectorError::DuplicateId(_) => "duplicate_id",
            VectorError::Base64 { .. } => "base64",
            VectorError::BadExpectation { .. } => "bad_expectation",
            VectorError::MissingField { .. } => "missing_field",
        }
    }

    pub(crate) fn json(source: serde_json::Error) -> VectorError {
        VectorError::Json {
            source: Arc::new(source),
        }
    }
}
