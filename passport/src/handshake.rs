//! The agent handshake: messages and a typestate machine for mutual
//! verification. Pure functions: the caller moves the messages.
//!
//! ```text
//! A (Initiator)                                   B (Responder)
//!   start()            -- request {from: A} -->     receive_request()
//!   receive()  <-- response {passport: B's} --
//!   (verifies B)       -- response {passport: A's} --> receive()  (verifies A)
//!   TrustContext{peer: B}                         TrustContext{peer: A}
//! ```

use crate::error::{Cause, ErrorCode, PassportError};
use crate::strict::{parse_value, JsonError};
use crate::types::{IdentityId, Tier};
use crate::verify::{VerifiedPassport, Verifier};
use serde::{Deserialize, Serialize};

/// `{"aii.handshake.request":{"from":"aii_…"}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeRequest {
    /// The initiator's identity.
    pub from: IdentityId,
}

/// `{"aii.handshake.response":{"passport":"<jwt>"}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeResponse {
    /// The sender's passport (compact JWT).
    pub passport: String,
}

/// A handshake message; serializes externally tagged with the exact names
/// `aii.handshake.request` and `aii.handshake.response`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandshakeMessage {
    /// Step 1: A announces itself.
    #[serde(rename = "aii.handshake.request")]
    Request(HandshakeRequest),
    /// Steps 2 and 3: a party presents its passport.
    #[serde(rename = "aii.handshake.response")]
    Response(HandshakeResponse),
}

impl HandshakeMessage {
    /// Parses a message (duplicate member names rejected; unknown members
    /// inside the message object ignored).
    pub fn from_json(text: &str) -> Result<HandshakeMessage, HandshakeError> {
        let v = parse_value(text.as_bytes()).map_err(|e| match e {
            JsonError::Syntax(e) => HandshakeError::Malformed {
                reason: format!("not JSON: {e}"),
                source: Some(e),
            },
            other => HandshakeError::Malformed {
                reason: other.to_string(),
                source: None,
            },
        })?;
        serde_json::from_value(v).map_err(|e| HandshakeError::Malformed {
            reason: e.to_string(),
            source: Some(Cause::new(e)),
        })
    }

    /// The JSON text of the message.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Why a handshake failed. A party that fails is untrusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandshakeError {
    /// Not a handshake message.
    #[error("malformed handshake message: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
        /// The JSON error, when the text is not JSON of the message shape.
        #[source]
        source: Option<Cause>,
    },
    /// A message of the other kind arrived.
    #[error("unexpected message: expected {0}")]
    UnexpectedMessage(&'static str),
    /// The peer's passport failed verification.
    #[error("peer passport rejected: {0}")]
    Passport(#[from] PassportError),
    /// The peer's passport is for another identity than it claimed / than expected.
    #[error("peer passport is for {got}, expected {expected}")]
    PeerMismatch {
        /// The identity expected.
        expected: IdentityId,
        /// The passport's subject.
        got: IdentityId,
    },
    /// The peer presented our own identity (a reflected message).
    #[error("peer presented our own identity {0}")]
    Reflection(IdentityId),
    /// The handshake requires a verifier with a revocation source.
    #[error("the verifier has no revocation source; the handshake requires one")]
    NoRevocationSource,
}

impl HandshakeError {
    /// Stable machine-readable code (a passport error keeps its own code).
    pub fn code(&self) -> ErrorCode {
        match self {
            HandshakeError::Malformed { .. } => ErrorCode::MalformedMessage,
            HandshakeError::UnexpectedMessage(_) => ErrorCode::UnexpectedMessage,
            HandshakeError::Passport(e) => e.code(),
            HandshakeError::PeerMismatch { .. } => ErrorCode::PeerMismatch,
            HandshakeError::Reflection(_) => ErrorCode::Reflection,
            HandshakeError::NoRevocationSource => ErrorCode::NoRevocationSource,
        }
    }
}

/// One side's own credentials and the verifier it applies to the peer.
///
/// The verifier's policy sets the minimum tier (e.g. `business_verified`
/// for finance) and must have a revocation source.
///
/// Build it with [`Party::new`].
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Party<'a> {
    /// Our identity.
    pub id: &'a IdentityId,
    /// Our passport.
    pub passport: &'a str,
    /// How we verify the peer.
    pub verifier: &'a Verifier,
}

impl<'a> Party<'a> {
    /// Our identity, our passport, and the verifier we apply to the peer.
    pub fn new(id: &'a IdentityId, passport: &'a str, verifier: &'a Verifier) -> Party<'a> {
        Party {
            id,
            passport,
            verifier,
        }
    }
}

/// The result of a successful handshake: the peer's verified passport.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrustContext {
    /// The peer's verified passport.
    pub peer: VerifiedPassport,
}

impl TrustContext {
    /// The peer's identity.
    pub fn peer_id(&self) -> &IdentityId {
        &self.peer.claims.sub
    }
    /// The peer's tier.
    pub fn peer_tier(&self) -> Tier {
        self.peer.claims.tier
    }
}

fn check_peer(
    me: &Party<'_>,
    msg: &HandshakeMessage,
    expected: Option<&IdentityId>,
) -> Result<TrustContext, HandshakeError> {
    let passport = match msg {
        HandshakeMessage::Response(r) => &r.passport,
        HandshakeMessage::Request(_) => {
            return Err(HandshakeError::UnexpectedMessage("aii.handshake.response"))
        }
    };
    let peer = me.verifier.verify(passport)?;
    if &peer.claims.sub == me.id {
        return Err(HandshakeError::Reflection(peer.claims.sub));
    }
    if let Some(exp) = expected {
        if exp != &peer.claims.sub {
            return Err(HandshakeError::PeerMismatch {
                expected: exp.clone(),
                got: peer.claims.sub,
            });
        }
    }
    Ok(TrustContext { peer })
}

fn response(me: &Party<'_>) -> HandshakeMessage {
    HandshakeMessage::Response(HandshakeResponse {
        passport: me.passport.to_owned(),
    })
}

/// Side A, before anything is sent.
#[derive(Debug)]
pub struct Initiator<'a> {
    me: Party<'a>,
    expected_peer: Option<IdentityId>,
}

/// Side A, after sending the request: waiting for B's passport.
#[derive(Debug)]
pub struct AwaitingResponderPassport<'a> {
    me: Party<'a>,
    expected_peer: Option<IdentityId>,
}

impl<'a> Initiator<'a> {
    /// A new initiator.
    pub fn new(me: Party<'a>) -> Result<Initiator<'a>, HandshakeError> {
        if !me.verifier.has_revocation() {
            return Err(HandshakeError::NoRevocationSource);
        }
        Ok(Initiator {
            me,
            expected_peer: None,
        })
    }

    /// Requires the peer to be this identity.
    pub fn expect_peer(mut self, id: IdentityId) -> Initiator<'a> {
        self.expected_peer = Some(id);
        self
    }

    /// Step 1: the request to send to B.
    pub fn start(self) -> (AwaitingResponderPassport<'a>, HandshakeMessage) {
        let msg = HandshakeMessage::Request(HandshakeRequest {
            from: self.me.id.clone(),
        });
        (
            AwaitingResponderPassport {
                me: self.me,
                expected_peer: self.expected_peer,
            },
            msg,
        )
    }
}

impl AwaitingResponderPassport<'_> {
    /// Step 3: verify B's passport; on success, returns the trust context and
    /// our own passport to send to B.
    pub fn receive(
        self,
        msg: &HandshakeMessage,
    ) -> Result<(TrustContext, HandshakeMessage), HandshakeError> {
        let ctx = check_peer(&self.me, msg, self.expected_peer.as_ref())?;
        Ok((ctx, response(&self.me)))
    }
}

/// Side B, before the request arrives.
#[derive(Debug)]
pub struct Responder<'a> {
    me: Party<'a>,
}

/// Side B, after answering: waiting for A's passport.
#[derive(Debug)]
pub struct AwaitingInitiatorPassport<'a> {
    me: Party<'a>,
    claimed: IdentityId,
}

impl<'a> Responder<'a> {
    /// A new responder.
    pub fn new(me: Party<'a>) -> Result<Responder<'a>, HandshakeError> {
        if !me.verifier.has_revocation() {
            return Err(HandshakeError::NoRevocationSource);
        }
        Ok(Responder { me })
    }

    /// Step 2: accept A's request; returns our passport to send to A.
    pub fn receive_request(
        self,
        msg: &HandshakeMessage,
    ) -> Result<(AwaitingInitiatorPassport<'a>, HandshakeMessage), HandshakeError> {
        let from = match msg {
            HandshakeMessage::Request(r) => r.from.clone(),
            HandshakeMessage::Response(_) => {
                return Err(HandshakeError::UnexpectedMessage("aii.handshake.request"))
            }
        };
        if &from == self.me.id {
            return Err(HandshakeError::Reflection(from));
        }
        let reply = response(&self.me);
        Ok((
            AwaitingInitiatorPassport {
                me: self.me,
                claimed: from,
            },
            reply,
        ))
    }
}

impl AwaitingInitiatorPassport<'_> {
    /// Step 3 (B's side): verify A's passport, which must be for the identity
    /// A announced in its request.
    pub fn receive(self, msg: &HandshakeMessage) -> Result<TrustContext, HandshakeError> {
        check_peer(&self.me, msg, Some(&self.claimed))
    }
}
