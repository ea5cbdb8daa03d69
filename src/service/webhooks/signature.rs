//! How a receiver knows a delivery came from Golden and is fresh: an HMAC-SHA256, keyed with
//! the subscription's secret, over `"<timestamp>.<body>"`. The timestamp is signed too, so a
//! receiver that refuses old timestamps refuses replayed deliveries.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header carrying `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-Golden-Signature";
/// The header carrying the signing time, in seconds since the Unix epoch.
pub const TIMESTAMP_HEADER: &str = "X-Golden-Timestamp";
/// The header carrying the event's sequence number.
pub const SEQ_HEADER: &str = "X-Golden-Event-Seq";
/// The header naming the subscription.
pub const WEBHOOK_HEADER: &str = "X-Golden-Webhook-Id";

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `X-Golden-Signature` value for `body` sent at `timestamp`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Whether `header` is the signature of `body` sent at `timestamp`, compared in constant time.
pub fn verify(secret: &[u8], timestamp: i64, body: &[u8], header: &str) -> bool {
    let Some(digest) = header
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
    else {
        return false;
    };
    mac(secret, timestamp, body).verify_slice(&digest).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_secret_time_and_body() {
        let signature = sign(b"s3cret", 1_700_000_000, b"{\"seq\":1}");
        assert!(signature.starts_with("sha256="));
        assert_eq!(signature.len(), "sha256=".len() + 64);
        assert!(verify(b"s3cret", 1_700_000_000, b"{\"seq\":1}", &signature));
        assert!(!verify(b"other", 1_700_000_000, b"{\"seq\":1}", &signature));
        assert!(!verify(
            b"s3cret",
            1_700_000_001,
            b"{\"seq\":1}",
            &signature
        ));
        assert!(!verify(
            b"s3cret",
            1_700_000_000,
            b"{\"seq\":2}",
            &signature
        ));
        assert!(!verify(
            b"s3cret",
            1_700_000_000,
            b"{\"seq\":1}",
            "sha256=zz"
        ));
    }

    #[test]
    fn the_signature_is_the_documented_hmac() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let signature = sign(b"Jefe", 0, b"");
        let mut expected = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").unwrap();
        expected.update(b"0.");
        assert_eq!(
            signature,
            format!("sha256={}", hex::encode(expected.finalize().into_bytes()))
        );
    }
}
