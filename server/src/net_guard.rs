//! The private-network guard: the server connects out (connectors, feeds, SMTP) only to public
//! addresses, so a member cannot make it probe the internal network or a cloud metadata service.
//! Every connection is checked: host names when they are resolved, address literals and
//! redirects before they are followed. `SUCCESS_ALLOW_PRIVATE_NETWORK=true` turns it off.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Whether an address is on the public internet (and so may be connected to).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254/16, cloud metadata among it
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240; // reserved
    !refused
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return is_public_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        ));
    }
    let refused = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0..6] == [0, 0, 0, 0, 0, 0]); // IPv4-compatible (deprecated) ::a.b.c.d
    !refused
}

/// Why a host may not be connected to, in words for a settings form.
pub fn refusal(host: &str) -> String {
    format!(
        "{host} is a private, loopback or link-local address; Success only connects to public \
         addresses (set SUCCESS_ALLOW_PRIVATE_NETWORK=true on a self-hosted server to allow it)"
    )
}

/// The host of a URL when it is an address literal (`http://127.0.0.1:8080/`, `http://[::1]/`).
fn literal_host(url: &reqwest::Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.trim_start_matches('[').trim_end_matches(']').parse().ok()
}

/// Checks a URL a member typed: `http(s)` only, and no private address literal or `localhost`.
/// (Names are checked again when they are resolved, on every connection.)
pub fn check_url(text: &str, allow_private: bool) -> Result<(), String> {
    let url = reqwest::Url::parse(text).map_err(|_| format!("{text:?} is not a URL like https://api.example.com"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{text:?}: only http and https addresses are allowed"));
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if host.is_empty() {
        return Err(format!("{text:?} has no host"));
    }
    if allow_private {
        return Ok(());
    }
    let local_name = host == "localhost" || host.ends_with(".localhost");
    if local_name || literal_host(&url).is_some_and(|ip| !is_public(ip)) {
        return Err(refusal(&host));
    }
    Ok(())
}

/// Resolves host names to public addresses only; a name with none left fails to connect.
#[derive(Clone, Copy, Debug)]
pub struct PublicResolver;

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addrs.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(refusal(&host).into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// The HTTP client for everything members configure: connectors, feeds, webhooks out.
pub fn client(allow_private: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        // GitHub refuses requests without one.
        .user_agent(concat!("Success/", env!("CARGO_PKG_VERSION")));
    if !allow_private {
        builder = builder
            .dns_resolver(Arc::new(PublicResolver))
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                if attempt.previous().len() >= 10 {
                    attempt.error("too many redirects")
                } else if let Err(why) = check_url(attempt.url().as_str(), false) {
                    attempt.error(why)
                } else {
                    attempt.follow()
                }
            }));
    }
    builder.build().unwrap_or_default()
}

/// The address to connect to for `host:port`: the first public one (or any, when private
/// networks are allowed). Connecting to the returned address, not the name, means a second
/// resolution cannot swap in a private address.
pub async fn resolve(host: &str, port: u16, allow_private: bool) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    addrs
        .into_iter()
        .find(|a| allow_private || is_public(a.ip()))
        .ok_or_else(|| refusal(host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_public_addresses_pass() {
        for refused in [
            "127.0.0.1",
            "127.8.9.10",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.0.8",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
            "::127.0.0.1",
        ] {
            assert!(!is_public(ip(refused)), "{refused} must be refused");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700::1111",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(ip(public)), "{public} is public");
        }
    }

    #[test]
    fn typed_urls_are_checked_before_anything_is_fetched() {
        for bad in [
            "http://127.0.0.1:4010",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://10.0.0.5",
            "http://localhost:8080",
            "http://api.localhost",
            "http://0x7f.1/",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
            assert!(check_url(bad, false).unwrap_err().contains("private"), "{bad}");
        }
        assert!(check_url("file:///etc/passwd", false).is_err());
        assert!(check_url("javascript:alert(1)", true).is_err());
        assert!(check_url("https://api.stripe.com", false).is_ok());
        assert!(
            check_url("http://127.0.0.1:4010", true).is_ok(),
            "allowed for self-hosters and fakes"
        );
    }

    #[tokio::test]
    async fn loopback_names_do_not_resolve_for_connections() {
        // Resolves only on this machine (localhost); nothing is connected to.
        assert!(resolve("localhost", 25, false).await.is_err());
        assert_eq!(resolve("127.0.0.1", 25, true).await.unwrap().port(), 25);
        let refused = PublicResolver.resolve("localhost".parse::<Name>().unwrap()).await;
        assert!(refused.is_err());
    }
}
