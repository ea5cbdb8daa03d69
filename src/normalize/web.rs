//! E-mail addresses and websites. Both reduce to a registrable domain, which lets matching
//! compare a vendor's contact e-mail with another system's website, and a shop or regional
//! subdomain with the company's main site.
//!
//! Websites are parsed by the `url` crate (WHATWG URL rules, IDNA for non-ASCII names) and cut
//! to their registrable domain with the public suffix list compiled into the `psl` crate
//! ("shop.acme.co.uk" is "acme.co.uk", "acme.github.io" stays itself).

use url::{Host, Url};

use super::ValueError;

/// Lowercase address; must be `local@domain.tld` with exactly one '@'. A "mailto:" prefix is
/// tolerated. Hand-written: addresses in ERPs are checked only for the shape that lets them be
/// compared; the domain part goes through the same host parser as websites.
pub fn standardize_email(raw: &str) -> Result<String, ValueError> {
    let lower = raw.trim().to_lowercase();
    let addr = lower.strip_prefix("mailto:").unwrap_or(&lower).trim();
    if addr.is_empty() {
        return Ok(String::new());
    }
    let (local, domain) = addr.split_once('@').ok_or(ValueError::InvalidEmail)?;
    let local_ok = !local.is_empty()
        && !local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'));
    if !local_ok || domain.contains('@') || host_name(domain).is_none() {
        return Err(ValueError::InvalidEmail);
    }
    Ok(addr.to_string())
}

/// Registrable domain of a website: scheme, user info, subdomains ("www.", "shop."), port,
/// path, query and fragment dropped ("https://www.Acme.com:443/about?x=1" -> "acme.com").
pub fn standardize_url(raw: &str) -> Result<String, ValueError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("http://{}", trimmed.trim_start_matches('/'))
    };
    let url = Url::parse(&with_scheme).map_err(|_| ValueError::InvalidUrl)?;
    let host = match url.host() {
        Some(Host::Domain(host)) => host,
        _ => return Err(ValueError::InvalidUrl),
    };
    host_name(host)
        .and_then(|h| registrable(&h))
        .ok_or(ValueError::InvalidUrl)
}

/// Registrable domain of an e-mail address ("Jane@Mail.Acme.com" -> "acme.com"), comparable
/// with [`standardize_url`] output. None when the address is invalid or blank.
pub fn email_domain(raw: &str) -> Option<String> {
    let email = standardize_email(raw).ok()?;
    let (_, domain) = email.split_once('@')?;
    registrable(&host_name(domain)?)
}

/// A dotted host name as the URL parser reads it (lowercase, punycode for non-ASCII labels),
/// without its trailing dot. None for anything that is not a domain name with a dot.
fn host_name(host: &str) -> Option<String> {
    let host = host.trim_end_matches('.');
    if !host.contains('.') || host.split('.').any(str::is_empty) {
        return None;
    }
    match Host::parse(host).ok()? {
        Host::Domain(name) if valid_labels(&name) => Some(name),
        _ => None,
    }
}

/// Labels of letters, digits and inner hyphens (the URL parser lets '_' and others through).
fn valid_labels(host: &str) -> bool {
    host.split('.').all(|label| {
        !label.is_empty()
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// The registrable domain of a host ("shop.acme.co.uk" -> "acme.co.uk"); None when the host is
/// itself a public suffix ("co.uk").
fn registrable(host: &str) -> Option<String> {
    psl::domain_str(host).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            standardize_email("  Jane.Doe@Acme.COM ").as_deref(),
            Ok("jane.doe@acme.com")
        );
        assert_eq!(
            standardize_email("mailto:AP@acme.co.uk").as_deref(),
            Ok("ap@acme.co.uk")
        );
        assert_eq!(
            standardize_email("ap+invoices@acme.com").as_deref(),
            Ok("ap+invoices@acme.com")
        );
        for bad in [
            "jane.doe",
            "@acme.com",
            "jane@acme",
            "a@b@acme.com",
            "jane doe@acme.com",
            "jane@acme..com",
            "jane@.acme.com",
            "a@acme.com; b@acme.com",
        ] {
            assert_eq!(
                standardize_email(bad),
                Err(ValueError::InvalidEmail),
                "{bad}"
            );
        }
    }

    #[test]
    fn urls() {
        for raw in [
            "https://www.Acme.com/about",
            "http://acme.com",
            "www.acme.com",
            "ACME.COM/",
            "acme.com:8080/x?y=1#z",
            "https://user:pw@www.acme.com.",
            "//acme.com",
        ] {
            assert_eq!(standardize_url(raw).as_deref(), Ok("acme.com"), "{raw}");
        }
        for bad in [
            "n/a",
            "http://",
            "acme",
            "www.acme com",
            "http://10.0.0.1/",
            "co.uk",
        ] {
            assert_eq!(standardize_url(bad), Err(ValueError::InvalidUrl), "{bad}");
        }
    }

    #[test]
    fn websites_reduce_to_their_registrable_domain() {
        let cases = [
            ("https://shop.acme.co.uk/", "acme.co.uk"),
            ("www.acme.co.uk", "acme.co.uk"),
            ("http://investor.siemens.de/", "siemens.de"),
            ("https://www.bosch.com.br/produtos", "bosch.com.br"),
            ("www.tata.co.in", "tata.co.in"),
            ("https://global.toyota.co.jp/en", "toyota.co.jp"),
            ("https://www.woolworths.com.au", "woolworths.com.au"),
            ("acme.github.io/docs", "acme.github.io"),
            ("https://www.Müller.de", "xn--mller-kva.de"),
        ];
        for (raw, domain) in cases {
            assert_eq!(standardize_url(raw).as_deref(), Ok(domain), "{raw}");
        }
    }

    #[test]
    fn email_and_website_share_a_domain() {
        let domain = email_domain("AP@Acme.com");
        assert_eq!(domain.as_deref(), Some("acme.com"));
        assert_eq!(domain, standardize_url("https://www.acme.com/contact").ok());
        assert_eq!(
            email_domain("payables@mail.acme.co.uk"),
            standardize_url("https://shop.acme.co.uk").ok()
        );
        assert_eq!(email_domain("not an email"), None);
        assert_eq!(email_domain(""), None);
    }
}
