//! Every SCL:V1 vector as its own test against this project's engine, in
//! process. `cargo test -p aiid-conformance --test vectors -- ID` filters by id.

extern crate aiid_conformance as conformance;
use conformance::{check_vector, Answer, InProcess, Strictness, VectorFile};
use libtest_mimic::{Arguments, Failed, Trial};

/// The protocol answer of this project's engine, plus the library-level
/// invariants every valid vector must satisfy: the canonical length is
/// predicted exactly, the strict decoder gives the document back, the builder
/// writes bytes that parse to the same document, and the streamed identity
/// equals SHA-256 of the canonical bytes.
fn our_answer(input: &[u8]) -> Result<Answer, conformance::RunError> {
    if let Ok(doc) = aiid::parse(input) {
        let canonical = aiid::scl_canon::to_vec(&doc);
        let broken = |what: &str| {
            conformance::RunError::bad_output(
                format!("library invariant broken: {what}"),
                &canonical,
            )
        };
        if aiid::scl_canon::canonical_len(&doc) != canonical.len() {
            return Err(broken("canonical_len differs from the canonical length"));
        }
        if aiid::scl_canon::decode(&canonical).as_ref() != Ok(&doc) {
            return Err(broken("decode(canonical) is not the document"));
        }
        if aiid::parse(&doc.to_scl()).as_ref() != Ok(&doc) {
            return Err(broken("builder bytes do not parse back to the document"));
        }
        if aiid::DocHash::of_document_on_this_thread(&doc)
            != aiid::DocHash::of_canonical_bytes(&canonical)
        {
            return Err(broken(
                "streamed identity differs from SHA-256 of the canonical bytes",
            ));
        }
    }
    let line = aiid::engine::respond(input);
    serde_json::from_str(&line)
        .map_err(|e| conformance::RunError::bad_output(e.to_string(), line.as_bytes()))
}

fn main() {
    let args = Arguments::from_args();
    let file = VectorFile::scl_v1().expect("the shipped vector file is valid");
    let trials = file
        .vectors
        .into_iter()
        .map(|v| {
            Trial::test(v.id.clone(), move || {
                check_vector(&v, Strictness::Full, &InProcess::scl(our_answer)).map_err(|diff| {
                    Failed::from(format!("{}\n{}\ninput: {:?}", v.description, diff, v.input))
                })
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
