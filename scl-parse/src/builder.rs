//! Building documents in code and writing them as SCL:V1 bytes.

use alloc::borrow::Cow;
use alloc::{string::String, vec::Vec};

use crate::document::{Content, Document, Handle};
use crate::validate::{self, BuildError};

/// Builds a [`Document`] in code.
///
/// ```
/// use scl_parse::{parse, DocumentBuilder};
///
/// let doc = DocumentBuilder::new()
///     .handle("model", ["gpt-x", "temperature=0"])
///     .content("Summarise the attached report.")
///     .build()?;
/// let bytes = doc.to_scl();
/// assert_eq!(parse(&bytes).unwrap(), doc);
/// # Ok::<(), scl_parse::BuildError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct DocumentBuilder {
    handles: Vec<(String, Vec<String>)>,
    content: String,
}

impl DocumentBuilder {
    /// An empty builder (no handles, empty content).
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a handle with its tags.
    pub fn handle<I, T>(mut self, id: impl Into<String>, tags: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        self.handles
            .push((id.into(), tags.into_iter().map(Into::into).collect()));
        self
    }

    /// Sets the content of the `scl` block.
    pub fn content(mut self, content: impl Into<String>) -> Self {
        self.content = content.into();
        self
    }

    /// Checks everything and returns the document, or the first problem.
    pub fn build(self) -> Result<Document<'static>, BuildError> {
        let mut handles = Vec::with_capacity(self.handles.len());
        for (index, (id, tags)) in self.handles.into_iter().enumerate() {
            handles.push(
                Handle::new(id, tags.into_iter().map(Cow::Owned))
                    .map_err(|e| e.for_handle(index))?,
            );
        }
        Document::new(handles, Content::new(self.content))
    }
}

/// Writes `doc` as SCL:V1 bytes (two-space indentation, no final LF).
pub(crate) fn to_scl(doc: &Document<'_>) -> Vec<u8> {
    let content = doc.content();
    let mut out = Vec::with_capacity(64 + content.len() + 16 * doc.handles().len());
    out.extend_from_slice(b"SCL:V1\n\nhandles {\n");
    for h in doc.handles() {
        out.extend_from_slice(b"  ");
        out.extend_from_slice(h.id().as_bytes());
        out.push(b'(');
        for (i, tag) in h.tags().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(tag.as_bytes());
            out.push(b'"');
        }
        out.extend_from_slice(b")\n");
    }
    out.extend_from_slice(b"}\nscl {\n");
    if content.is_empty() {
        // D26: empty content is the empty block.
    } else if content.chunks().all(validate::quotable) {
        // Quoted mode: one quoted line per content line.
        let mut line_start = true;
        for chunk in content.chunks() {
            for piece in chunk.split_inclusive('\n') {
                if line_start {
                    out.extend_from_slice(b"  \"");
                }
                match piece.strip_suffix('\n') {
                    Some(text) => {
                        out.extend_from_slice(text.as_bytes());
                        out.extend_from_slice(b"\"\n");
                        line_start = true;
                    }
                    None => {
                        out.extend_from_slice(piece.as_bytes());
                        line_start = false;
                    }
                }
            }
        }
        if line_start {
            // Content ended with LF: its last line is empty.
            out.extend_from_slice(b"  \"");
        }
        out.extend_from_slice(b"\"\n");
    } else {
        // Raw mode: the content verbatim, then the terminator line.
        for chunk in content.chunks() {
            out.extend_from_slice(chunk.as_bytes());
        }
        out.push(b'\n');
    }
    out.push(b'}');
    out
}
