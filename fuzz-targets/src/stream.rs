//! Fuzz target `scl_stream`: the streaming engine of `scl-hash`
//! (`scl_hash::stream`) against the in-memory parser and canonicaliser.

use scl_hash::stream::{CanonicalStream, IdentityStream};
use scl_hash::DocHash;
use scl_parse::ParseError;

/// Splits `len` bytes into chunks whose sizes come from `seed`: 1-byte
/// chunks, fixed sizes, or a pseudo-random sequence of small sizes.
fn cuts(seed: u8, len: usize) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut at = 0;
    let mut state = u32::from(seed) | 0x100;
    loop {
        let step = match seed % 4 {
            0 => 1,
            1 => 1 + usize::from(seed / 4) % 8,
            _ => {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                1 + (state as usize) % (1 + usize::from(seed / 4) % 16)
            }
        };
        at += step;
        if at >= len {
            return cuts;
        }
        cuts.push(at);
    }
}

/// Runs the streaming engine over `input` cut at `cuts`.
fn streamed(input: &[u8], cuts: &[usize]) -> Result<Vec<u8>, ParseError> {
    let mut engine = CanonicalStream::new(Vec::new());
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&input.len())) {
        if let Err(e) = engine.feed(&input[from..cut]) {
            assert_eq!(engine.finish(), Err(e), "an error from feed is final");
            return Err(e);
        }
        from = cut;
    }
    engine.finish()
}

/// Property: for any bytes and any chunking, the streaming engine gives the
/// very answer of `scl_parse::parse` + `scl_canon::to_vec`: the same
/// `ParseError` (code, offset and reason), or the same canonical bytes; and
/// the streamed identity equals the hash of those bytes.
///
/// The first byte of `data` chooses the chunking, the rest is the input.
pub fn scl_stream(data: &[u8]) {
    let Some((&seed, input)) = data.split_first() else {
        return;
    };
    let expected = scl_parse::parse(input).map(|doc| scl_canon::to_vec(&doc));
    for cuts in [Vec::new(), cuts(seed, input.len())] {
        let got = streamed(input, &cuts);
        assert!(
            got == expected,
            "streaming engine differs (cuts {cuts:?}):\n stream: {:?}\n parse:  {:?}",
            got.as_ref()
                .map(|c| String::from_utf8_lossy(c).into_owned()),
            expected
                .as_ref()
                .map(|c| String::from_utf8_lossy(c).into_owned()),
        );
    }
    let mut engine = IdentityStream::new();
    let mut from = 0;
    let mut hashed = Ok(());
    for cut in cuts(seed.wrapping_add(1), input.len())
        .into_iter()
        .chain(std::iter::once(input.len()))
    {
        hashed = engine.feed(&input[from..cut]);
        if hashed.is_err() {
            break;
        }
        from = cut;
    }
    let identity = hashed.and_then(|()| engine.finish());
    let expected_identity = expected.map(|c| DocHash::of_canonical_bytes(&c));
    assert_eq!(identity, expected_identity, "streamed identity differs");
}
