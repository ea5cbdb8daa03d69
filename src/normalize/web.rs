//! E-mail addresses and websites. Both reduce to a domain, which lets matching compare a
//! vendor's contact e-mail with another system's website.

use super::ValueError;

/// Lowercase address; must be `local@domain.tld` with exactly one '@'. A "mailto:" prefix is tolerated.
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
    if !local_ok || domain.contains('@') || !is_domain(domain) {
        return Err(ValueError::InvalidEmail);
    }
    Ok(addr.to_string())
}

/// Bare domain of a website: scheme, user info, "www.", port, path, query and fragment dropped
/// ("https://www.Acme.com:443/about?x=1" -> "acme.com").
pub fn standardize_url(raw: &str) -> Result<String, ValueError> {
    let lower = raw.trim().to_lowercase();
    if lower.is_empty() {
        return Ok(String::new());
    }
    let rest = match lower.find("://") {
        Some(i) => &lower[i + 3..],
        None => lower.strip_prefix("//").unwrap_or(&lower),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = host_port.split(':').next().unwrap_or_default();
    let host = host.trim_end_matches('.');
    let host = host.strip_prefix("www.").unwrap_or(host);
    if !is_domain(host) {
        return Err(ValueError::InvalidUrl);
    }
    Ok(host.to_string())
}

/// Domain part of an e-mail address ("Jane@Acme.com" -> "acme.com"), comparable with
/// [`standardize_url`] output. None when the address is invalid or blank.
pub fn email_domain(raw: &str) -> Option<String> {
    let email = standardize_email(raw).ok()?;
    let (_, domain) = email.split_once('@')?;
    Some(domain.strip_prefix("www.").unwrap_or(domain).to_string())
}

/// A dotted host name: non-empty labels of letters, digits and inner hyphens.
fn is_domain(host: &str) -> bool {
    host.contains('.')
        && host.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
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
        assert_eq!(
            standardize_url("https://shop.acme.co.uk/").as_deref(),
            Ok("shop.acme.co.uk")
        );
        for bad in ["n/a", "http://", "acme", "www.acme com"] {
            assert_eq!(standardize_url(bad), Err(ValueError::InvalidUrl), "{bad}");
        }
    }

    #[test]
    fn email_and_website_share_a_domain() {
        let domain = email_domain("AP@Acme.com");
        assert_eq!(domain.as_deref(), Some("acme.com"));
        assert_eq!(domain, standardize_url("https://www.acme.com/contact").ok());
        assert_eq!(email_domain("not an email"), None);
        assert_eq!(email_domain(""), None);
    }
}
