//! AI Identity passports (work in progress).
#![forbid(unsafe_code)]
