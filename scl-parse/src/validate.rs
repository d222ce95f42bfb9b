//! Which ASTs an SCL:V1 input can produce. Shared by the builder and by the
//! canonical-JSON decoder, so that "representable" has one definition.

/// Why a document built in code (or decoded from canonical JSON) is not one
/// that any SCL:V1 input parses to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A document needs at least one handle.
    #[error("a document needs at least one handle")]
    NoHandles,
    /// The handle id is empty.
    #[error("handle #{handle}: the id is empty")]
    EmptyHandleId {
        /// 0-based index of the handle, when known.
        handle: usize,
    },
    /// The handle id does not match `[A-Za-z_][A-Za-z0-9_]*`.
    #[error("handle #{handle}: id byte {byte_index} ({found:?}) is not allowed (ids match [A-Za-z_][A-Za-z0-9_]*)")]
    InvalidHandleId {
        /// 0-based index of the handle.
        handle: usize,
        /// Byte index of the first invalid character in the id.
        byte_index: usize,
        /// The invalid character.
        found: char,
    },
    /// A handle needs at least one tag.
    #[error("handle #{handle}: at least one tag is required")]
    NoTags {
        /// 0-based index of the handle.
        handle: usize,
    },
    /// A tag contains `"` or a control character (U+0000–U+001F, U+007F),
    /// which no tag can contain.
    #[error("handle #{handle}, tag #{tag}: byte {byte_index} ({found:?}) cannot appear in a tag (no `\"` and no control characters)")]
    InvalidTagChar {
        /// 0-based index of the handle.
        handle: usize,
        /// 0-based index of the tag.
        tag: usize,
        /// Byte index of the character in the tag.
        byte_index: usize,
        /// The character.
        found: char,
    },
    /// Content contains CR or TAB, which are forbidden everywhere.
    #[error(
        "content byte {byte_index}: {found:?} is forbidden in SCL:V1 (CR and TAB never appear)"
    )]
    ForbiddenContentChar {
        /// Byte index in the content.
        byte_index: usize,
        /// The character (CR or TAB).
        found: char,
    },
    /// The first content line starts (after optional spaces) with `"`: raw
    /// mode would read it as quoted mode, and quoted mode cannot hold `"`.
    #[error("content cannot be written in either mode: its first line starts with `\"` (raw mode would read it as quoted mode, and quoted lines cannot contain `\"`)")]
    FirstLineStartsWithQuote,
}

impl BuildError {
    /// The same error, naming handle number `index` (0-based) of a document.
    pub fn for_handle(self, index: usize) -> Self {
        match self {
            BuildError::EmptyHandleId { .. } => BuildError::EmptyHandleId { handle: index },
            BuildError::InvalidHandleId {
                byte_index, found, ..
            } => BuildError::InvalidHandleId {
                handle: index,
                byte_index,
                found,
            },
            BuildError::NoTags { .. } => BuildError::NoTags { handle: index },
            BuildError::InvalidTagChar {
                tag,
                byte_index,
                found,
                ..
            } => BuildError::InvalidTagChar {
                handle: index,
                tag,
                byte_index,
                found,
            },
            other => other,
        }
    }
}

/// Checks one handle (id and tags); errors name handle 0 until
/// [`BuildError::for_handle`] renames them.
pub(crate) fn handle<'t>(id: &str, tags: impl Iterator<Item = &'t str>) -> Result<(), BuildError> {
    let handle_index = 0;
    handle_id(id).map_err(|e| match e {
        IdError::Empty => BuildError::EmptyHandleId {
            handle: handle_index,
        },
        IdError::At(byte_index, found) => BuildError::InvalidHandleId {
            handle: handle_index,
            byte_index,
            found,
        },
    })?;
    let mut count = 0;
    for (i, t) in tags.enumerate() {
        count += 1;
        if let Some((byte_index, found)) = tag_violation(t) {
            return Err(BuildError::InvalidTagChar {
                handle: handle_index,
                tag: i,
                byte_index,
                found,
            });
        }
    }
    if count == 0 {
        return Err(BuildError::NoTags {
            handle: handle_index,
        });
    }
    Ok(())
}

/// Why a handle id is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdError {
    Empty,
    At(usize, char),
}

/// Checks `[A-Za-z_][A-Za-z0-9_]*`.
pub(crate) fn handle_id(id: &str) -> Result<(), IdError> {
    if id.is_empty() {
        return Err(IdError::Empty);
    }
    for (i, c) in id.char_indices() {
        let ok = if i == 0 {
            c.is_ascii_alphabetic() || c == '_'
        } else {
            c.is_ascii_alphanumeric() || c == '_'
        };
        if !ok {
            return Err(IdError::At(i, c));
        }
    }
    Ok(())
}

/// True for the code points forbidden inside quoted strings.
pub(crate) const fn is_quoted_control(c: char) -> bool {
    (c as u32) < 0x20 || c as u32 == 0x7f
}

/// The first character that a tag (or quoted line) cannot contain.
pub(crate) fn tag_violation(t: &str) -> Option<(usize, char)> {
    t.char_indices()
        .find(|&(_, c)| c == '"' || is_quoted_control(c))
}

/// Checks that some SCL:V1 input has this content.
pub(crate) fn content(text: &str) -> Result<(), BuildError> {
    if let Some(i) = memchr::memchr2(b'\r', b'\t', text.as_bytes()) {
        let found = if text.as_bytes()[i] == b'\r' {
            '\r'
        } else {
            '\t'
        };
        return Err(BuildError::ForbiddenContentChar {
            byte_index: i,
            found,
        });
    }
    let first_line = text.split('\n').next().unwrap_or("");
    if first_line.trim_start_matches(' ').starts_with('"') {
        return Err(BuildError::FirstLineStartsWithQuote);
    }
    Ok(())
}

/// True when every line of `text` can be written as a quoted line.
pub(crate) fn quotable(text: &str) -> bool {
    tag_violation_except_lf(text).is_none()
}

fn tag_violation_except_lf(t: &str) -> Option<char> {
    t.chars()
        .find(|&c| c != '\n' && (c == '"' || is_quoted_control(c)))
}
