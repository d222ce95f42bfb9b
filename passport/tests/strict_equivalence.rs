//! `verify_signature_strict` (one plain verification plus encoding checks)
//! accepts exactly what `ed25519-dalek`'s `verify_strict` accepts.

extern crate aiid_passport as passport;
use curve25519_dalek::constants::EIGHT_TORSION;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use passport::verify_signature_strict;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        std::array::from_fn(|_| (self.next() & 0xff) as u8)
    }
}

const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn add_l(s: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(s[i]) + u16::from(L[i]) + carry;
        out[i] = (v & 0xff) as u8;
        carry = v >> 8;
    }
    out
}

fn check(key: &VerifyingKey, msg: &[u8], sig: &[u8; 64], tally: &mut [usize; 2]) {
    let sig = Signature::from_bytes(sig);
    let theirs = key.verify_strict(msg, &sig).is_ok();
    let ours = verify_signature_strict(key, msg, &sig).is_ok();
    assert_eq!(
        ours,
        theirs,
        "key {:?} sig {:?}",
        key.as_bytes(),
        sig.to_bytes()
    );
    tally[usize::from(ours)] += 1;
}

#[test]
fn same_acceptance_set_as_verify_strict() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut tally = [0usize; 2];
    // Small-order encodings, canonical and not (y >= p, sign bit set).
    let mut small: Vec<[u8; 32]> = EIGHT_TORSION
        .iter()
        .map(|p| p.compress().to_bytes())
        .collect();
    for extra in [0xedu8, 0xee] {
        let mut b = [0xffu8; 32];
        b[0] = extra;
        b[31] = 0x7f;
        small.push(b);
    }
    let with_sign: Vec<[u8; 32]> = small
        .iter()
        .map(|b| {
            let mut c = *b;
            c[31] |= 0x80;
            c
        })
        .collect();
    small.extend(with_sign);

    for i in 0..25u32 {
        let sk = SigningKey::from_bytes(&rng.bytes());
        let vk = sk.verifying_key();
        let msg = format!("message {i}").into_bytes();
        let good = sk.sign(&msg).to_bytes();
        check(&vk, &msg, &good, &mut tally);
        // S + L.
        let mut s = good;
        s[32..].copy_from_slice(&add_l(&good[32..]));
        check(&vk, &msg, &s, &mut tally);
        // Small-order R with any S.
        for r in &small {
            let mut b = good;
            b[..32].copy_from_slice(r);
            check(&vk, &msg, &b, &mut tally);
        }
        // Random bit flips.
        let mut b = good;
        let bit = (rng.next() % 512) as usize;
        b[bit / 8] ^= 1 << (bit % 8);
        check(&vk, &msg, &b, &mut tally);
        check(&vk, b"other", &good, &mut tally);
    }
    // Small-order keys: (R, S=0) forgeries and random signatures.
    for a in &small {
        let Ok(vk) = VerifyingKey::from_bytes(a) else {
            continue;
        };
        for r in &small {
            let mut b = [0u8; 64];
            b[..32].copy_from_slice(r);
            check(&vk, b"forged", &b, &mut tally);
        }
        check(&vk, b"x", &rng.bytes(), &mut tally);
    }
    assert!(tally[0] > 500 && tally[1] >= 25, "{tally:?}");
}
