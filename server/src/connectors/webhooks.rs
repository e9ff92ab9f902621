//! Webhook signatures, checked before anything from the body is believed or stored.

use hmac::{Hmac, Mac};
use sha2::{Sha256, Sha512};

/// Stripe's tolerance between the signed timestamp and now.
pub const STRIPE_TOLERANCE_SECONDS: i64 = 300;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing or malformed")]
    Malformed,
    #[error("the signature does not match")]
    Mismatch,
    #[error("the signed timestamp is more than 5 minutes away from now (a replay?)")]
    Stale,
}

/// Stripe sends one `v1` per active secret (two while a secret is rolled): more is an attack.
pub const MAX_STRIPE_CANDIDATES: usize = 8;
/// The longest `Stripe-Signature` header taken apart.
pub const MAX_STRIPE_HEADER: usize = 2_048;

/// `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`: some v1 must be the hex HMAC-SHA256, keyed
/// with the endpoint secret, of `"<t>.<raw body>"`, and `t` within 300 s of `now`. The header is
/// checked (size, candidates, timestamp) before the body is hashed, and the body is hashed once.
pub fn verify_stripe(header: &str, body: &[u8], secret: &str, now_unix: i64) -> Result<(), SignatureError> {
    if header.len() > MAX_STRIPE_HEADER {
        return Err(SignatureError::Malformed);
    }
    let mut timestamp: Option<i64> = None;
    let mut candidates: Vec<Vec<u8>> = Vec::new();
    for part in header.split(',') {
        let (key, value) = part.trim().split_once('=').ok_or(SignatureError::Malformed)?;
        match key {
            "t" => timestamp = Some(value.parse().map_err(|_| SignatureError::Malformed)?),
            "v1" => {
                if candidates.len() == MAX_STRIPE_CANDIDATES {
                    return Err(SignatureError::Malformed);
                }
                if let Ok(bytes) = hex::decode(value) {
                    candidates.push(bytes);
                }
            }
            _ => {} // v0 and future schemes are ignored, as Stripe advises
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if candidates.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now_unix - t).abs() > STRIPE_TOLERANCE_SECONDS {
        return Err(SignatureError::Stale);
    }
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return Err(SignatureError::Mismatch);
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    // Every candidate is compared in full, so timing tells nothing about which one was close.
    let matched = candidates.iter().fold(false, |found, candidate| {
        crate::auth::constant_time_eq(&expected, candidate) | found
    });
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Salesbricks: header `X-SALESBRICKS-KEY` is the base64 HMAC-SHA512 of the raw body, keyed with
/// the API token.
pub fn verify_salesbricks(header: &str, body: &[u8], token: &str) -> Result<(), SignatureError> {
    use base64::Engine;
    let given = base64::engine::general_purpose::STANDARD
        .decode(header.trim())
        .map_err(|_| SignatureError::Malformed)?;
    let Ok(mut mac) = Hmac::<Sha512>::new_from_slice(token.as_bytes()) else {
        return Err(SignatureError::Mismatch);
    };
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| SignatureError::Mismatch)
}

/// `server bench webhook`: what one Stripe signature check costs over a 1 MiB body, what
/// refusing a 60,000-candidate header costs, and what checking every candidate (the old way)
/// would have cost. Medians of `runs`.
pub fn bench(runs: usize) -> String {
    use std::time::{Duration, Instant};
    let body = vec![b'x'; 1 << 20];
    let now = 1_764_100_000;
    let one = format!("t={now},v1={}", "ab".repeat(32));
    let flood = format!("t={now},{}", vec!["v1=00"; 60_000].join(","));
    let median = |header: &str| {
        let mut times: Vec<Duration> = (0..runs.max(1))
            .map(|_| {
                let started = Instant::now();
                let _ = std::hint::black_box(verify_stripe(header, &body, "whsec_bench", now));
                started.elapsed()
            })
            .collect();
        times.sort();
        times[times.len() / 2]
    };
    let (check, refuse) = (median(&one), median(&flood));
    format!(
        "one check over 1 MiB: {check:?}\n60,000-candidate header refused: {refuse:?}\n\
         checking all 60,000 candidates (before): about {:.1} s of CPU per request",
        check.as_secs_f64() * 60_000.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.payment_failed"}"#;
    // Computed independently (Python's hmac) for these inputs.
    const STRIPE_V1: &str = "76ef2cdbfeddc75390256529fa7675a93364b1d566a3cb0a7bb389403a0cdbf6";
    const SALESBRICKS: &str =
        "JMnQjpBYbLCY5+bhq99UIBWVnVDKzRUtCcLDMdO/N0CHm4cHqGvRNE4kotaXod9Si4/1hHhk0TehmlEYrnNe7g==";
    const T: i64 = 1_764_100_000;

    #[test]
    fn stripe_signatures_are_checked_against_body_secret_and_time() {
        let header = format!("t={T},v1={STRIPE_V1}");
        assert_eq!(verify_stripe(&header, BODY, "whsec_test", T + 10), Ok(()));
        // Any of several v1 may match (secret rotation); v0 is ignored.
        let rotated = format!("t={T},v1={},v1={STRIPE_V1},v0=abc", "00".repeat(32));
        assert_eq!(verify_stripe(&rotated, BODY, "whsec_test", T), Ok(()));
        let table = [
            (header.clone(), BODY, "whsec_other", T, SignatureError::Mismatch),
            (
                header.clone(),
                &br#"{"id":"evt_2"}"#[..],
                "whsec_test",
                T,
                SignatureError::Mismatch,
            ),
            (header.clone(), BODY, "whsec_test", T + 301, SignatureError::Stale),
            (header.clone(), BODY, "whsec_test", T - 301, SignatureError::Stale),
            (
                format!("v1={STRIPE_V1}"),
                BODY,
                "whsec_test",
                T,
                SignatureError::Malformed,
            ),
            (format!("t={T}"), BODY, "whsec_test", T, SignatureError::Malformed),
            ("garbage".to_string(), BODY, "whsec_test", T, SignatureError::Malformed),
        ];
        for (header, body, secret, now, want) in table {
            assert_eq!(verify_stripe(&header, body, secret, now), Err(want), "{header}");
        }
    }

    #[test]
    fn salesbricks_signatures_are_checked_against_body_and_token() {
        assert_eq!(verify_salesbricks(SALESBRICKS, BODY, "sb_token"), Ok(()));
        assert_eq!(
            verify_salesbricks(SALESBRICKS, BODY, "sb_other"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_salesbricks(SALESBRICKS, br#"{"order":{}}"#, "sb_token"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_salesbricks("not base64!", BODY, "sb_token"),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn a_flood_of_stripe_candidates_is_refused_before_any_hashing() {
        // 60,000 candidates over a large body was ~130 GB of HMAC: refused as malformed now.
        let many: String = std::iter::once(format!("t={T}"))
            .chain((0..MAX_STRIPE_CANDIDATES + 1).map(|_| format!("v1={}", "00".repeat(32))))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            verify_stripe(&many, BODY, "whsec_test", T),
            Err(SignatureError::Malformed)
        );
        // The real one among the most candidates allowed still passes.
        let rotated: String = std::iter::once(format!("t={T}"))
            .chain((1..MAX_STRIPE_CANDIDATES).map(|_| format!("v1={}", "00".repeat(32))))
            .chain(std::iter::once(format!("v1={STRIPE_V1}")))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(verify_stripe(&rotated, BODY, "whsec_test", T), Ok(()));
        // An old timestamp is refused without looking at the body.
        assert_eq!(
            verify_stripe(&format!("t={},v1=00", T - 301), BODY, "whsec_test", T),
            Err(SignatureError::Stale)
        );
        let huge_header = format!("t={T},v1={}", "0".repeat(MAX_STRIPE_HEADER));
        assert_eq!(
            verify_stripe(&huge_header, BODY, "whsec_test", T),
            Err(SignatureError::Malformed)
        );
    }
}
