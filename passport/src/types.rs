//! Value types of the passport: ids, tiers, operators, claims.

use crate::error::{InvalidValue, PassportError};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

macro_rules! string_newtype {
    ($(#[$m:meta])* $name:ident, $what:literal, $check:path) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps a string.
            pub fn new(s: impl Into<String>) -> Result<Self, InvalidValue> {
                let s = s.into();
                $check(&s).map_err(|r| InvalidValue::new($what, r))?;
                Ok($name(s))
            }
            /// The string form.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl FromStr for $name {
            type Err = InvalidValue;
            fn from_str(s: &str) -> Result<Self, InvalidValue> {
                $name::new(s)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::new(s).map_err(serde::de::Error::custom)
            }
        }
    };
}

fn check_identity_id(s: &str) -> Result<(), &'static str> {
    let rest = s.strip_prefix("aii_").ok_or("must start with aii_")?;
    if rest.is_empty() || rest.len() > 64 {
        return Err("needs 1 to 64 characters after aii_");
    }
    if !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err("only ASCII letters and digits may follow aii_");
    }
    Ok(())
}

fn check_key_id(s: &str) -> Result<(), &'static str> {
    if s.is_empty() || s.len() > 128 {
        return Err("needs 1 to 128 characters");
    }
    if !s.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err("only printable ASCII without spaces");
    }
    Ok(())
}

fn check_text(s: &str, max: usize) -> Result<(), &'static str> {
    if s.is_empty() {
        return Err("must not be empty");
    }
    if s.len() > max {
        return Err("too long");
    }
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters");
    }
    if s.trim() != s {
        return Err("must not start or end with whitespace");
    }
    Ok(())
}

fn check_surface(s: &str) -> Result<(), &'static str> {
    check_text(s, 512)?;
    let (kind, value) = s.split_once(':').ok_or("must be kind:value")?;
    if kind.is_empty()
        || !kind
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._+".contains(&b))
    {
        return Err("kind must be ASCII letters, digits, - . _ +");
    }
    if value.is_empty() {
        return Err("value must not be empty");
    }
    Ok(())
}

fn check_capability(s: &str) -> Result<(), &'static str> {
    check_text(s, 128)
}

fn check_url(s: &str) -> Result<(), &'static str> {
    if s.len() > 2048 {
        return Err("too long");
    }
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or("must be an http:// or https:// URL")?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains('@') {
        return Err("needs a host and no user information");
    }
    if s.bytes().any(|b| b <= 0x20 || b == 0x7f) {
        return Err("must not contain spaces or control characters");
    }
    Ok(())
}

string_newtype!(
    /// An AI Identity id: `aii_` followed by 1–64 ASCII letters or digits
    /// (e.g. `aii_HMB77VQ527B5Z062CNE31D`, `aii_demo`).
    IdentityId,
    "identity id",
    check_identity_id
);
string_newtype!(
    /// A key id (`kid`, `key_id`): 1–128 printable ASCII characters, no spaces.
    KeyId,
    "key id",
    check_key_id
);
string_newtype!(
    /// A surface where an agent can be reached: `kind:value`
    /// (e.g. `telegram:@bot`, `mcp:tools.example.com`).
    Surface,
    "surface",
    check_surface
);
string_newtype!(
    /// A capability label (e.g. `customer-support`): 1–128 bytes, no control
    /// characters, no surrounding whitespace.
    Capability,
    "capability",
    check_capability
);
string_newtype!(
    /// An absolute `http://` or `https://` URL (issuer, registry). It is only
    /// ever compared, never fetched because a token names it.
    Url,
    "URL",
    check_url
);

impl Surface {
    /// The part before the first `:`.
    pub fn kind(&self) -> &str {
        self.0.split_once(':').map_or("", |(k, _)| k)
    }
    /// The part after the first `:`.
    pub fn value(&self) -> &str {
        self.0.split_once(':').map_or("", |(_, v)| v)
    }
}

/// Trust tiers, cumulative and ordered:
/// `issued` < `identity_verified` < `creator_verified` < `business_verified`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// Issued, nothing verified yet.
    Issued,
    /// Email and surface ownership verified.
    IdentityVerified,
    /// Government ID verified (the creator may stay anonymous publicly).
    CreatorVerified,
    /// A registered legal entity.
    BusinessVerified,
}

impl Tier {
    /// All tiers, lowest first.
    pub const ALL: [Tier; 4] = [
        Tier::Issued,
        Tier::IdentityVerified,
        Tier::CreatorVerified,
        Tier::BusinessVerified,
    ];

    /// The wire name (`issued`, `identity_verified`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Issued => "issued",
            Tier::IdentityVerified => "identity_verified",
            Tier::CreatorVerified => "creator_verified",
            Tier::BusinessVerified => "business_verified",
        }
    }
}

impl FromStr for Tier {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Tier, InvalidValue> {
        Tier::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| InvalidValue::new("tier", format!("unknown tier {s:?}")))
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Tier {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Tier {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The operator of an identity: anonymous (`anon` on the wire) or a display name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Operator {
    /// The wire value `anon` (exactly, case-sensitive).
    Anonymous,
    /// A display name: 1–256 bytes, no control characters, no surrounding whitespace.
    Named(String),
}

impl Operator {
    /// Parses the wire form.
    pub fn new(s: impl Into<String>) -> Result<Operator, InvalidValue> {
        let s = s.into();
        if s == "anon" {
            return Ok(Operator::Anonymous);
        }
        check_text(&s, 256).map_err(|r| InvalidValue::new("operator", r))?;
        Ok(Operator::Named(s))
    }
    /// The wire form.
    pub fn as_str(&self) -> &str {
        match self {
            Operator::Anonymous => "anon",
            Operator::Named(n) => n,
        }
    }
}

impl FromStr for Operator {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Operator, InvalidValue> {
        Operator::new(s)
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Operator {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The latest NumericDate accepted: 9999-12-31T23:59:59Z.
pub const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// A JWT NumericDate restricted to integer seconds in `0..=MAX_NUMERIC_DATE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct NumericDate(i64);

impl NumericDate {
    /// Validates seconds since the Unix epoch.
    pub fn new(secs: i64) -> Result<NumericDate, InvalidValue> {
        if (0..=MAX_NUMERIC_DATE).contains(&secs) {
            Ok(NumericDate(secs))
        } else {
            Err(InvalidValue::new(
                "NumericDate",
                "must be an integer from 0 to 253402300799",
            ))
        }
    }
    /// Seconds since the Unix epoch.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// The `aud` claim: the draft uses one string; RFC 7519 also allows an array.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Audience {
    /// A single audience (serialized as a string).
    One(String),
    /// Several audiences (serialized as an array of strings).
    Many(Vec<String>),
}

impl Audience {
    /// Whether `aud` names `audience` (exact, case-sensitive comparison).
    pub fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(a) => a == audience,
            Audience::Many(v) => v.iter().any(|a| a == audience),
        }
    }
}

impl Serialize for Audience {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Audience::One(a) => s.serialize_str(a),
            Audience::Many(v) => v.serialize(s),
        }
    }
}

/// The claims of a passport: every claim the draft requires, plus the
/// optional registered claims `nbf` and `jti`.
///
/// Unknown claims are ignored by the verifier (RFC 7519 §4) and never
/// serialized by the issuer.
///
/// Build one with [`Claims::builder`]; the fields stay public to read and
/// adjust.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Claims {
    /// Issuer authority (URL); compared exactly against the accepted issuers.
    pub iss: Url,
    /// The identity the passport is about.
    pub sub: IdentityId,
    /// Intended audience(s).
    pub aud: Audience,
    /// Issued at.
    pub iat: NumericDate,
    /// Expires at (required; must be after `iat`).
    pub exp: NumericDate,
    /// Not before (optional).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<NumericDate>,
    /// Passport id (optional; used for passport-level revocation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Trust tier.
    pub tier: Tier,
    /// Operator (`anon` or a display name).
    pub operator: Operator,
    /// Surfaces where the agent can be reached.
    pub surfaces: Vec<Surface>,
    /// Capabilities.
    pub capabilities: Vec<Capability>,
    /// Id of the signing key; must equal the header `kid`.
    pub key_id: KeyId,
    /// The identity's public registry page.
    pub registry_url: Url,
}

/// The order in which required claims are looked for (the first missing one
/// is reported).
pub const REQUIRED_CLAIMS: [&str; 11] = [
    "iss",
    "sub",
    "aud",
    "iat",
    "exp",
    "tier",
    "operator",
    "surfaces",
    "capabilities",
    "key_id",
    "registry_url",
];

fn invalid(claim: &'static str, reason: impl Into<String>) -> PassportError {
    PassportError::InvalidClaim {
        claim,
        reason: reason.into(),
        source: None,
    }
}

/// `claim` breaks the rule of its value type (`e` is kept as the source).
fn invalid_value(claim: &'static str, e: InvalidValue) -> PassportError {
    PassportError::InvalidClaim {
        claim,
        reason: e.reason.clone(),
        source: Some(e),
    }
}

/// Every claim this crate reads: the required ones, then `nbf` and `jti`.
pub(crate) const CLAIM_FIELDS: [&str; 13] = [
    "iss",
    "sub",
    "aud",
    "iat",
    "exp",
    "tier",
    "operator",
    "surfaces",
    "capabilities",
    "key_id",
    "registry_url",
    "nbf",
    "jti",
];

fn take_str(v: Option<Value>, claim: &'static str) -> Result<String, PassportError> {
    match v {
        None => Err(PassportError::MissingClaim(claim)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(invalid(claim, "must be a string")),
    }
}

fn date(v: &Value, claim: &'static str) -> Result<NumericDate, PassportError> {
    let n = match v {
        Value::Number(n) => n,
        _ => return Err(invalid(claim, "must be a NumericDate (integer seconds)")),
    };
    let secs = n
        .as_i64()
        .ok_or_else(|| invalid(claim, "must be integer seconds"))?;
    NumericDate::new(secs).map_err(|e| invalid_value(claim, e))
}

fn take_date(v: Option<Value>, claim: &'static str) -> Result<NumericDate, PassportError> {
    match v {
        None => Err(PassportError::MissingClaim(claim)),
        Some(v) => date(&v, claim),
    }
}

fn take_list<T>(
    v: Option<Value>,
    claim: &'static str,
    make: fn(String) -> Result<T, InvalidValue>,
) -> Result<Vec<T>, PassportError> {
    let arr = match v {
        None => return Err(PassportError::MissingClaim(claim)),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(invalid(claim, "must be an array of strings")),
    };
    arr.into_iter()
        .map(|v| match v {
            Value::String(s) => make(s).map_err(|e| invalid_value(claim, e)),
            _ => Err(invalid(claim, "must be an array of strings")),
        })
        .collect()
}

impl Claims {
    /// Reads the claims from a decoded JSON object, checking presence, types
    /// and value rules (but not time, audience, issuer or tier policy).
    ///
    /// The first missing required claim is reported in [`REQUIRED_CLAIMS`] order.
    pub fn from_json_object(m: &Map<String, Value>) -> Result<Claims, PassportError> {
        Claims::from_fields(CLAIM_FIELDS.map(|n| m.get(n).cloned()))
    }

    /// Reads the claims from the values of [`CLAIM_FIELDS`], in that order.
    pub(crate) fn from_fields(fields: [Option<Value>; 13]) -> Result<Claims, PassportError> {
        for (c, v) in REQUIRED_CLAIMS.iter().zip(&fields) {
            if v.is_none() {
                return Err(PassportError::MissingClaim(c));
            }
        }
        let [iss, sub, aud, iat, exp, tier, operator, surfaces, capabilities, key_id, registry_url, nbf, jti] =
            fields;
        let iss = Url::new(take_str(iss, "iss")?).map_err(|e| invalid_value("iss", e))?;
        let sub = IdentityId::new(take_str(sub, "sub")?).map_err(|e| invalid_value("sub", e))?;
        let aud = match aud {
            Some(Value::String(s)) if !s.is_empty() => Audience::One(s),
            Some(Value::Array(a)) if !a.is_empty() => {
                let mut v = Vec::with_capacity(a.len());
                for x in a {
                    match x {
                        Value::String(s) if !s.is_empty() => v.push(s),
                        _ => return Err(invalid("aud", "must hold non-empty strings")),
                    }
                }
                Audience::Many(v)
            }
            Some(_) => {
                return Err(invalid(
                    "aud",
                    "must be a non-empty string or array of strings",
                ))
            }
            None => return Err(PassportError::MissingClaim("aud")),
        };
        let iat = take_date(iat, "iat")?;
        let exp = take_date(exp, "exp")?;
        let nbf = match nbf {
            None => None,
            Some(v) => Some(date(&v, "nbf")?),
        };
        if exp <= iat {
            return Err(invalid("exp", "must be after iat"));
        }
        let jti = match jti {
            None => None,
            Some(Value::String(s)) if !s.is_empty() && s.len() <= 256 => Some(s),
            Some(_) => return Err(invalid("jti", "must be a string of 1 to 256 bytes")),
        };
        let tier_s = take_str(tier, "tier")?;
        let tier = tier_s
            .parse()
            .map_err(|_| PassportError::UnknownTier(tier_s))?;
        let operator = Operator::new(take_str(operator, "operator")?)
            .map_err(|e| invalid_value("operator", e))?;
        let surfaces = take_list(surfaces, "surfaces", Surface::new)?;
        let capabilities = take_list(capabilities, "capabilities", Capability::new)?;
        let key_id =
            KeyId::new(take_str(key_id, "key_id")?).map_err(|e| invalid_value("key_id", e))?;
        let registry_url = Url::new(take_str(registry_url, "registry_url")?)
            .map_err(|e| invalid_value("registry_url", e))?;
        Ok(Claims {
            iss,
            sub,
            aud,
            iat,
            exp,
            nbf,
            jti,
            tier,
            operator,
            surfaces,
            capabilities,
            key_id,
            registry_url,
        })
    }

    /// A builder: set every required claim, then [`ClaimsBuilder::build`].
    ///
    /// ```
    /// use aiid_passport::{Audience, Claims, IdentityId, KeyId, NumericDate, Operator, Tier, Url};
    ///
    /// let claims = Claims::builder()
    ///     .iss(Url::new("https://aiidentity.org")?)
    ///     .sub(IdentityId::new("aii_demo")?)
    ///     .aud(Audience::One("verifier".into()))
    ///     .iat(NumericDate::new(1_714_694_400)?)
    ///     .exp(NumericDate::new(1_714_698_000)?)
    ///     .tier(Tier::Issued)
    ///     .operator(Operator::Anonymous)
    ///     .surface("mcp:tools.example.com".parse()?)
    ///     .key_id(KeyId::new("k_2024")?)
    ///     .registry_url(Url::new("https://aiidentity.org/whois/aii_demo")?)
    ///     .build()?;
    /// assert!(claims.capabilities.is_empty());
    /// assert!(Claims::builder().build().is_err()); // iss is required
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> ClaimsBuilder {
        ClaimsBuilder::default()
    }

    /// The claims as a JSON value (the form the issuer signs).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Builds [`Claims`] (see [`Claims::builder`]). `nbf`, `jti`, `surfaces`
/// and `capabilities` are optional (the lists default to empty); every other
/// claim is required.
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct ClaimsBuilder {
    iss: Option<Url>,
    sub: Option<IdentityId>,
    aud: Option<Audience>,
    iat: Option<NumericDate>,
    exp: Option<NumericDate>,
    nbf: Option<NumericDate>,
    jti: Option<String>,
    tier: Option<Tier>,
    operator: Option<Operator>,
    surfaces: Vec<Surface>,
    capabilities: Vec<Capability>,
    key_id: Option<KeyId>,
    registry_url: Option<Url>,
}

impl ClaimsBuilder {
    /// Sets `iss`.
    pub fn iss(mut self, iss: Url) -> Self {
        self.iss = Some(iss);
        self
    }
    /// Sets `sub`.
    #[allow(clippy::should_implement_trait)] // named after the JWT claim
    pub fn sub(mut self, sub: IdentityId) -> Self {
        self.sub = Some(sub);
        self
    }
    /// Sets `aud`.
    pub fn aud(mut self, aud: Audience) -> Self {
        self.aud = Some(aud);
        self
    }
    /// Sets `iat`.
    pub fn iat(mut self, iat: NumericDate) -> Self {
        self.iat = Some(iat);
        self
    }
    /// Sets `exp`.
    pub fn exp(mut self, exp: NumericDate) -> Self {
        self.exp = Some(exp);
        self
    }
    /// Sets `nbf` (`None`: no `nbf` claim).
    pub fn nbf(mut self, nbf: impl Into<Option<NumericDate>>) -> Self {
        self.nbf = nbf.into();
        self
    }
    /// Sets `jti` (`None`: no `jti` claim).
    pub fn jti(mut self, jti: impl Into<Option<String>>) -> Self {
        self.jti = jti.into();
        self
    }
    /// Sets `tier`.
    pub fn tier(mut self, tier: Tier) -> Self {
        self.tier = Some(tier);
        self
    }
    /// Sets `operator`.
    pub fn operator(mut self, operator: Operator) -> Self {
        self.operator = Some(operator);
        self
    }
    /// Adds one surface.
    pub fn surface(mut self, surface: Surface) -> Self {
        self.surfaces.push(surface);
        self
    }
    /// Replaces the surfaces.
    pub fn surfaces(mut self, surfaces: impl IntoIterator<Item = Surface>) -> Self {
        self.surfaces = surfaces.into_iter().collect();
        self
    }
    /// Adds one capability.
    pub fn capability(mut self, capability: Capability) -> Self {
        self.capabilities.push(capability);
        self
    }
    /// Replaces the capabilities.
    pub fn capabilities(mut self, capabilities: impl IntoIterator<Item = Capability>) -> Self {
        self.capabilities = capabilities.into_iter().collect();
        self
    }
    /// Sets `key_id`.
    pub fn key_id(mut self, key_id: KeyId) -> Self {
        self.key_id = Some(key_id);
        self
    }
    /// Sets `registry_url`.
    pub fn registry_url(mut self, registry_url: Url) -> Self {
        self.registry_url = Some(registry_url);
        self
    }

    /// The claims, once every required claim is set and `exp` is after
    /// `iat`; otherwise an error naming the first missing claim (in
    /// [`REQUIRED_CLAIMS`] order) or the window problem.
    pub fn build(self) -> Result<Claims, InvalidValue> {
        fn req<T>(v: Option<T>, name: &str) -> Result<T, InvalidValue> {
            v.ok_or_else(|| InvalidValue::new("claims", format!("{name} is required")))
        }
        let claims = Claims {
            iss: req(self.iss, "iss")?,
            sub: req(self.sub, "sub")?,
            aud: req(self.aud, "aud")?,
            iat: req(self.iat, "iat")?,
            exp: req(self.exp, "exp")?,
            nbf: self.nbf,
            jti: self.jti,
            tier: req(self.tier, "tier")?,
            operator: req(self.operator, "operator")?,
            surfaces: self.surfaces,
            capabilities: self.capabilities,
            key_id: req(self.key_id, "key_id")?,
            registry_url: req(self.registry_url, "registry_url")?,
        };
        if claims.exp <= claims.iat {
            return Err(InvalidValue::new("claims", "exp must be after iat"));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_ids() {
        assert!(IdentityId::new("aii_demo").is_ok());
        assert!(IdentityId::new("aii_HMB77VQ527B5Z062CNE31D").is_ok());
        for bad in [
            "aii_",
            "aii",
            "AII_demo",
            "aii_de-mo",
            "aii_dé",
            "xaii_demo",
            " aii_demo",
        ] {
            assert!(IdentityId::new(bad).is_err(), "{bad}");
        }
        assert!(IdentityId::new(format!("aii_{}", "a".repeat(65))).is_err());
    }

    #[test]
    fn tiers_are_ordered_and_closed() {
        assert!(Tier::Issued < Tier::IdentityVerified);
        assert!(Tier::IdentityVerified < Tier::CreatorVerified);
        assert!(Tier::CreatorVerified < Tier::BusinessVerified);
        for t in Tier::ALL {
            assert_eq!(t.as_str().parse::<Tier>(), Ok(t));
        }
        assert!("Issued".parse::<Tier>().is_err());
        assert!("platinum".parse::<Tier>().is_err());
    }

    #[test]
    fn operators() {
        assert_eq!(Operator::new("anon"), Ok(Operator::Anonymous));
        assert_eq!(
            Operator::new("Acme Corp Ltd."),
            Ok(Operator::Named("Acme Corp Ltd.".into()))
        );
        assert!(Operator::new("").is_err());
        assert!(Operator::new(" x").is_err());
        assert!(Operator::new("a\nb").is_err());
    }

    #[test]
    fn surfaces_and_urls() {
        let s = Surface::new("telegram:@bot").unwrap();
        assert_eq!((s.kind(), s.value()), ("telegram", "@bot"));
        assert!(Surface::new("wa:+44123").is_ok());
        assert!(Surface::new("nocolon").is_err());
        assert!(Surface::new(":x").is_err());
        assert!(Surface::new("x:").is_err());
        assert!(Url::new("https://aiidentity.org").is_ok());
        assert!(Url::new("https://aiidentity.org/whois/aii_demo").is_ok());
        assert!(Url::new("ftp://x").is_err());
        assert!(Url::new("https://").is_err());
        assert!(Url::new("https://a b").is_err());
        assert!(Url::new("https://user@host").is_err());
    }

    #[test]
    fn numeric_dates() {
        assert!(NumericDate::new(0).is_ok());
        assert!(NumericDate::new(-1).is_err());
        assert!(NumericDate::new(MAX_NUMERIC_DATE + 1).is_err());
    }
}
