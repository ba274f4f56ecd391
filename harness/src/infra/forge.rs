//! Forged tokens for the security probes: a real token's claims, changed in
//! one way an attacker would, so that every relying party can be shown to
//! refuse it with its own words.
//!
//! The harness holds no issuer's signing key (Dex keeps its keys in its
//! storage, Keycloak in its realm), so the forgeries here are those that need
//! none: `alg: none` with no signature, and the token re-signed RS256 by a key
//! of the harness's own, under the issuer's own `kid` (the JWKS has a key of
//! that id; only the signature can tell) or under a `kid` the JWKS lacks.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::SigningKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::{Value, json};

use crate::error::{Error, Result};

pub use crate::model::steps::Forgery;

fn part(token: &str, i: usize) -> Result<Value> {
    let text = token
        .split('.')
        .nth(i)
        .ok_or_else(|| Error::step("forge_token", "the token is not a JWT"))?;
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|e| Error::step("forge_token", format!("the token is not base64url: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::step(
            "forge_token",
            format!("the token's part {i} is not JSON: {e}"),
        )
    })
}

fn encode(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).expect("JSON serialises"))
}

/// `token` forged as `how`; its claims are unchanged.
pub fn forge(token: &str, how: Forgery) -> Result<String> {
    let mut header = part(token, 0)?;
    let claims = part(token, 1)?;
    match how {
        Forgery::AlgNone => {
            header["alg"] = json!("none");
            Ok(format!("{}.{}.", encode(&header), encode(&claims)))
        }
        Forgery::ForeignKeySameKid | Forgery::ForeignKeyNewKid => {
            header["alg"] = json!("RS256");
            if how == Forgery::ForeignKeyNewKid {
                header["kid"] = json!(format!("forged-{}", crate::infra::oidc::random_token(8)));
            }
            let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
                .map_err(|e| Error::step("forge_token", format!("generating an RSA key: {e}")))?;
            let signing = SigningKey::<Sha256>::new(key);
            let input = format!("{}.{}", encode(&header), encode(&claims));
            let signature = signing.sign(input.as_bytes()).to_bytes();
            Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> String {
        let h = encode(&json!({"alg": "RS256", "kid": "k1", "typ": "JWT"}));
        let c = encode(&json!({"iss": "https://dex", "sub": "u", "aud": "kubernetes"}));
        format!("{h}.{c}.c2ln")
    }

    #[test]
    fn alg_none_keeps_the_claims_and_drops_the_signature() {
        let f = forge(&token(), Forgery::AlgNone).unwrap();
        assert!(f.ends_with('.'));
        assert_eq!(part(&f, 0).unwrap()["alg"], "none");
        assert_eq!(part(&f, 1).unwrap(), part(&token(), 1).unwrap());
    }

    #[test]
    fn a_foreign_key_signs_under_the_kid_asked_for() {
        let same = forge(&token(), Forgery::ForeignKeySameKid).unwrap();
        assert_eq!(part(&same, 0).unwrap()["kid"], "k1");
        let new = forge(&token(), Forgery::ForeignKeyNewKid).unwrap();
        assert_ne!(part(&new, 0).unwrap()["kid"], "k1");
        assert_ne!(same.rsplit('.').next(), Some("c2ln"));
        assert_eq!(part(&new, 1).unwrap(), part(&token(), 1).unwrap());
    }
}
