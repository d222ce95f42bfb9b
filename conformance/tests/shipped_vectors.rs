//! The vectors embedded in this package are byte-for-byte copies of the
//! published ones in `spec/vectors/` (the source of truth). Outside a
//! checkout (e.g. in the unpacked crate) there is nothing to compare with.

extern crate aiid_conformance as conformance;

use std::path::Path;

fn check(name: &str, embedded: &str) {
    let published = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../spec/vectors")
        .join(name);
    let Ok(published) = std::fs::read(&published) else {
        println!(
            "skipped: {} not found (not in a checkout)",
            published.display()
        );
        return;
    };
    assert!(
        published == embedded.as_bytes(),
        "conformance/vectors/{name} differs from spec/vectors/{name} (the published source of \
         truth); run: cp spec/vectors/{name} conformance/vectors/{name}"
    );
}

#[test]
fn embedded_scl_vectors_equal_the_published_ones() {
    check("scl-v1.json", conformance::SCL_V1_VECTORS_JSON);
}

#[test]
fn embedded_passport_vectors_equal_the_published_ones() {
    check("passport.json", conformance::PASSPORT_VECTORS_JSON);
}
