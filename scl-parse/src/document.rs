//! The SCL:V1 AST: a document is a non-empty list of handles and one content
//! string. Every `Document` value is one that some SCL:V1 input parses to:
//! the constructors check it, so invalid states cannot be represented.
use alloc::{
    string::{String, ToString},
    vec::Vec,
};

use alloc::borrow::Cow;
use core::fmt;

use crate::validate::{self, BuildError};

/// How the content appeared in the source. Not part of the identity: both
/// modes (and the empty block) can give the same content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentMode {
    /// Lines taken verbatim.
    Raw,
    /// Every line a double-quoted string.
    Quoted,
    /// Built in code or decoded from canonical JSON; no source mode.
    Unspecified,
}

#[derive(Clone)]
enum Repr<'a> {
    /// Raw content, verbatim from the input.
    Raw(&'a str),
    /// A validated block of quoted lines, each `<spaces>"<inner>"` + LF; the
    /// content is the inner parts joined with LF.
    QuotedBlock(&'a str),
    /// Content as one string (builder, decoder, `into_owned`).
    Text(Cow<'a, str>),
}

/// The content string of the `scl` block.
///
/// Parsed content borrows from the input and is never copied: raw mode keeps a
/// slice of the input, quoted mode keeps the slice of quoted lines and yields
/// their inner parts on demand. Use [`Content::chunks`] to stream it, or
/// `to_string()` (via `Display`) to materialise it.
#[derive(Clone)]
pub struct Content<'a>(Repr<'a>);

impl<'a> Content<'a> {
    pub(crate) fn raw(s: &'a str) -> Self {
        Content(Repr::Raw(s))
    }

    pub(crate) fn quoted_block(s: &'a str) -> Self {
        Content(Repr::QuotedBlock(s))
    }

    /// Content from a string. It is checked when the document is built.
    pub fn new(text: impl Into<Cow<'a, str>>) -> Self {
        Content(Repr::Text(text.into()))
    }

    /// The mode the content was parsed from.
    pub fn mode(&self) -> ContentMode {
        match self.0 {
            Repr::Raw(_) => ContentMode::Raw,
            Repr::QuotedBlock(_) => ContentMode::Quoted,
            Repr::Text(_) => ContentMode::Unspecified,
        }
    }

    /// The content as a sequence of string pieces whose concatenation is the
    /// content. Never allocates.
    pub fn chunks(&self) -> Chunks<'_> {
        match &self.0 {
            Repr::Raw(s) => Chunks {
                single: Some(s),
                quoted: None,
                pending_lf: false,
            },
            Repr::Text(s) => Chunks {
                single: Some(s.as_ref()),
                quoted: None,
                pending_lf: false,
            },
            Repr::QuotedBlock(block) => Chunks {
                single: None,
                quoted: Some(QuotedLines { rest: block }),
                pending_lf: false,
            },
        }
    }

    /// The content as one string slice when it is stored contiguously (raw
    /// mode, or built from a string); `None` for quoted-mode content with more
    /// than one line.
    pub fn as_contiguous_str(&self) -> Option<&str> {
        match &self.0 {
            Repr::Raw(s) => Some(s),
            Repr::Text(s) => Some(s),
            Repr::QuotedBlock(block) => {
                let mut lines = QuotedLines { rest: block };
                let first = lines.next();
                match (first, lines.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }
        }
    }

    /// Length of the content in bytes.
    pub fn len(&self) -> usize {
        self.chunks().map(str::len).sum()
    }

    /// True when the content is the empty string.
    pub fn is_empty(&self) -> bool {
        self.chunks().all(str::is_empty)
    }

    /// Copies borrowed content into an owned value.
    pub fn into_owned(self) -> Content<'static> {
        match self.0 {
            Repr::Text(Cow::Owned(s)) => Content(Repr::Text(Cow::Owned(s))),
            _ => Content(Repr::Text(Cow::Owned(self.to_string()))),
        }
    }
}

impl fmt::Display for Content<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.chunks() {
            f.write_str(chunk)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Content<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Content").field(&self.to_string()).finish()
    }
}

impl PartialEq for Content<'_> {
    fn eq(&self, other: &Self) -> bool {
        chunks_equal(self.chunks(), other.chunks())
    }
}

impl Eq for Content<'_> {}

impl<'a> From<&'a str> for Content<'a> {
    fn from(s: &'a str) -> Self {
        Content::new(s)
    }
}

impl From<String> for Content<'static> {
    fn from(s: String) -> Self {
        Content::new(s)
    }
}

/// Compares two chunked byte streams without allocating.
fn chunks_equal<'x, 'y>(
    mut a: impl Iterator<Item = &'x str>,
    mut b: impl Iterator<Item = &'y str>,
) -> bool {
    let mut left: &[u8] = &[];
    let mut right: &[u8] = &[];
    loop {
        while left.is_empty() {
            match a.next() {
                Some(s) => left = s.as_bytes(),
                None => break,
            }
        }
        while right.is_empty() {
            match b.next() {
                Some(s) => right = s.as_bytes(),
                None => break,
            }
        }
        match (left.is_empty(), right.is_empty()) {
            (true, true) => return true,
            (true, false) | (false, true) => return false,
            (false, false) => {
                let n = left.len().min(right.len());
                if left[..n] != right[..n] {
                    return false;
                }
                left = &left[n..];
                right = &right[n..];
            }
        }
    }
}

/// Iterator over the inner parts of a validated quoted block.
#[derive(Clone)]
struct QuotedLines<'a> {
    rest: &'a str,
}

impl<'a> Iterator for QuotedLines<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match memchr::memchr(b'\n', self.rest.as_bytes()) {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, ""),
        };
        self.rest = rest;
        // The parser validated `<spaces>"<inner>"`; trimming is total anyway.
        let inner = line.trim_start_matches(' ');
        let inner = inner.strip_prefix('"').unwrap_or(inner);
        let inner = inner.strip_suffix('"').unwrap_or(inner);
        Some(inner)
    }
}

/// The pieces of a [`Content`]; see [`Content::chunks`].
#[derive(Clone)]
pub struct Chunks<'a> {
    single: Option<&'a str>,
    quoted: Option<QuotedLines<'a>>,
    pending_lf: bool,
}

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        if let Some(s) = self.single.take() {
            return Some(s);
        }
        let lines = self.quoted.as_mut()?;
        if self.pending_lf {
            // Only emit the joiner if another line follows.
            let mut peek = lines.clone();
            if peek.next().is_some() {
                self.pending_lf = false;
                return Some("\n");
            }
            return None;
        }
        let line = lines.next()?;
        self.pending_lf = true;
        Some(line)
    }
}

/// One handle: an id and its tags (at least one), in input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handle<'a> {
    id: Cow<'a, str>,
    tags: Vec<Cow<'a, str>>,
}

impl<'a> Handle<'a> {
    /// Builds a handle, checking that the id matches `[A-Za-z_][A-Za-z0-9_]*`,
    /// that there is at least one tag, and that no tag contains `"`, a line
    /// break or another control character.
    pub fn new<I, T>(id: impl Into<Cow<'a, str>>, tags: I) -> Result<Self, BuildError>
    where
        I: IntoIterator<Item = T>,
        T: Into<Cow<'a, str>>,
    {
        let handle = Handle {
            id: id.into(),
            tags: tags.into_iter().map(Into::into).collect(),
        };
        validate::handle(&handle.id, handle.tags.iter().map(|t| t.as_ref()))?;
        Ok(handle)
    }

    /// Builds a handle from parts already validated by the parser.
    pub(crate) fn from_parsed(id: &'a str, tags: Vec<Cow<'a, str>>) -> Self {
        Handle {
            id: Cow::Borrowed(id),
            tags,
        }
    }

    /// The handle id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The tags, in input order.
    pub fn tags(&self) -> impl ExactSizeIterator<Item = &str> + Clone {
        self.tags.iter().map(|t| t.as_ref())
    }

    /// Copies borrowed parts into an owned value.
    pub fn into_owned(self) -> Handle<'static> {
        Handle {
            id: Cow::Owned(self.id.into_owned()),
            tags: self
                .tags
                .into_iter()
                .map(|t| Cow::Owned(t.into_owned()))
                .collect(),
        }
    }
}

/// An SCL:V1 document: what the canonical JSON describes.
///
/// `refs` and `hints` are always empty in V1 and so are not stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document<'a> {
    handles: Vec<Handle<'a>>,
    content: Content<'a>,
}

impl<'a> Document<'a> {
    /// Builds a document, checking that it is one some SCL:V1 input parses
    /// to: at least one handle, and content without CR or TAB whose first line
    /// does not start (after optional spaces) with `"`.
    pub fn new(handles: Vec<Handle<'a>>, content: Content<'a>) -> Result<Self, BuildError> {
        if handles.is_empty() {
            return Err(BuildError::NoHandles);
        }
        // Parsed content (raw or quoted) is valid by construction.
        if let Repr::Text(text) = &content.0 {
            validate::content(text)?;
        }
        Ok(Document { handles, content })
    }

    pub(crate) fn from_parsed(handles: Vec<Handle<'a>>, content: Content<'a>) -> Self {
        Document { handles, content }
    }

    /// The handles, in input order (never empty).
    pub fn handles(&self) -> &[Handle<'a>] {
        &self.handles
    }

    /// The content of the `scl` block.
    pub fn content(&self) -> &Content<'a> {
        &self.content
    }

    /// Copies borrowed parts into an owned value.
    pub fn into_owned(self) -> Document<'static> {
        Document {
            handles: self.handles.into_iter().map(Handle::into_owned).collect(),
            content: self.content.into_owned(),
        }
    }

    /// Serializes the document to SCL:V1 bytes that parse back to an equal
    /// document. Quoted mode is used when every content line can be quoted,
    /// raw mode otherwise (see `spec/DECISIONS.md`, D26).
    pub fn to_scl(&self) -> Vec<u8> {
        crate::builder::to_scl(self)
    }
}
