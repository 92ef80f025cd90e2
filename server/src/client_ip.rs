//! The client's address behind trusted reverse proxies.
//!
//! `Forwarded` (RFC 7239) and `X-Forwarded-For` are read only when the TCP peer is a
//! trusted proxy; otherwise they are ignored entirely, since any client can send them.
//! The chain is walked from the right (the hop the nearest proxy appended), skipping
//! trusted proxies; the first untrusted address is the client. When every hop is trusted,
//! the left-most is. A hop that names no address (`unknown`, an obfuscated `_id`, a
//! malformed value) ends the walk at the proxy that reported it: what lies left of it came
//! from a party we cannot identify, so it is not believed.

use axum::http::{header, HeaderMap};
use ipnet::IpNet;
use std::net::IpAddr;

/// The networks whose forwarding headers are believed.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

/// One hop of a forwarding chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hop {
    /// A usable address.
    Addr(IpAddr),
    /// `unknown`, an obfuscated identifier, no `for=`, or a value that is not an address.
    Opaque,
}

/// Parses one trusted-proxy entry: `10.0.0.0/8`, `2001:db8::/32`, or a bare address
/// (`/32`, `/128`). A network with host bits set (`10.0.0.1/8`) is refused as a likely typo.
pub fn parse_cidr(raw: &str) -> Result<IpNet, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("empty entry (expected an address or CIDR such as 10.0.0.0/8)".into());
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(IpNet::from(ip));
    }
    let net: IpNet = s.parse().map_err(|_| format!("{s:?} is not an IP address or CIDR network"))?;
    if net.trunc() != net {
        return Err(format!("{s:?} has host bits set; did you mean {}?", net.trunc()));
    }
    Ok(net)
}

impl TrustedProxies {
    /// Trusts these networks.
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets)
    }

    /// Whether `ip` (IPv4-mapped IPv6 counts as IPv4) is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client's address for a request that came from `peer` with `headers`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let hops = if headers.contains_key(header::FORWARDED) {
            forwarded_hops(headers)
        } else if headers.contains_key("x-forwarded-for") {
            xff_hops(headers)
        } else {
            return peer;
        };
        // A header that cannot be read at all: believe only the peer.
        let Some(hops) = hops else { return peer };
        let mut nearest_trusted = peer;
        for hop in hops.iter().rev() {
            match *hop {
                Hop::Addr(ip) if self.contains(ip) => nearest_trusted = ip,
                Hop::Addr(ip) => return ip,
                Hop::Opaque => return nearest_trusted,
            }
        }
        nearest_trusted
    }
}

/// Every value of `name`, in order, as text; `None` when one is not visible ASCII.
fn values<'a>(headers: &'a HeaderMap, name: &str) -> Option<Vec<&'a str>> {
    headers.get_all(name).iter().map(|v| v.to_str().ok()).collect()
}

/// `X-Forwarded-For: client, proxy1, proxy2` (several header lines form one list).
fn xff_hops(headers: &HeaderMap) -> Option<Vec<Hop>> {
    let mut hops = Vec::new();
    for line in values(headers, "x-forwarded-for")? {
        for item in line.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            hops.push(node(item));
        }
    }
    Some(hops)
}

/// `Forwarded: for=192.0.2.60;proto=http, for="[2001:db8::17]:4711"`: one hop per element,
/// from its `for` parameter. `None` when the syntax is broken (say, an unclosed quote).
fn forwarded_hops(headers: &HeaderMap) -> Option<Vec<Hop>> {
    let mut hops = Vec::new();
    for line in values(headers, header::FORWARDED.as_str())? {
        for element in split_outside_quotes(line, ',')? {
            if element.trim().is_empty() {
                continue;
            }
            let mut hop = Hop::Opaque;
            for pair in split_outside_quotes(element, ';')? {
                let Some((name, value)) = pair.split_once('=') else {
                    if pair.trim().is_empty() {
                        continue;
                    }
                    return None;
                };
                if name.trim().eq_ignore_ascii_case("for") {
                    hop = node(&unquote(value.trim())?);
                }
            }
            hops.push(hop);
        }
    }
    Some(hops)
}

/// Splits on `sep` where it is not inside a quoted string; `None` on an unclosed quote.
fn split_outside_quotes(s: &str, sep: char) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    if quoted {
        return None;
    }
    parts.push(&s[start..]);
    Some(parts)
}

/// A token as is; a quoted string without its quotes and escapes.
fn unquote(v: &str) -> Option<String> {
    let Some(inner) = v.strip_prefix('"') else { return Some(v.to_string()) };
    let inner = inner.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next()? } else { c });
    }
    Some(out)
}

/// A node: `192.0.2.1`, `192.0.2.1:8080`, `[2001:db8::1]`, `[2001:db8::1]:4711`, or a
/// bare IPv6 address. Anything else (`unknown`, `_hidden`, garbage) is opaque.
fn node(s: &str) -> Hop {
    let s = s.trim();
    let addr = if let Some(rest) = s.strip_prefix('[') {
        rest.split_once(']')
            .filter(|(_, tail)| tail.is_empty() || tail.strip_prefix(':').is_some_and(is_port))
            .map(|(ip, _)| ip)
    } else if let Ok(ip) = s.parse::<IpAddr>() {
        return Hop::Addr(ip.to_canonical());
    } else {
        s.rsplit_once(':').filter(|(ip, port)| !ip.contains(':') && is_port(port)).map(|(ip, _)| ip)
    };
    match addr.and_then(|a| a.parse::<IpAddr>().ok()) {
        Some(ip) => Hop::Addr(ip.to_canonical()),
        None => Hop::Opaque,
    }
}

/// `4711` (digits) or an obfuscated port `_abc` (RFC 7239 §6.3).
fn is_port(p: &str) -> bool {
    !p.is_empty() && (p.bytes().all(|b| b.is_ascii_digit()) || p.starts_with('_'))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn trusted(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().map(|s| parse_cidr(s).unwrap()).collect())
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(header::HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
        }
        h
    }

    /// The client seen by a proxy at 10.0.0.1 trusting 10.0.0.0/8 and 2001:db8:ffff::/48.
    fn via_proxy(pairs: &[(&str, &str)]) -> String {
        trusted(&["10.0.0.0/8", "2001:db8:ffff::/48"]).client_ip(ip("10.0.0.1"), &headers(pairs)).to_string()
    }

    #[test]
    fn cidrs_parse_strictly() {
        assert_eq!(parse_cidr("10.0.0.0/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_cidr(" 192.0.2.7 ").unwrap().to_string(), "192.0.2.7/32");
        assert_eq!(parse_cidr("2001:db8::1").unwrap().to_string(), "2001:db8::1/128");
        assert_eq!(parse_cidr("2001:db8::/32").unwrap().to_string(), "2001:db8::/32");
        for bad in ["", "10.0.0.0/33", "10.0.0/8", "example.com", "10.0.0.0/", "::/129", "fe80::1%eth0"] {
            assert!(parse_cidr(bad).is_err(), "{bad:?} accepted");
        }
        let typo = parse_cidr("10.0.0.1/8").unwrap_err();
        assert!(typo.contains("10.0.0.0/8"), "{typo}");
    }

    #[test]
    fn an_untrusted_peer_cannot_spoof() {
        let t = trusted(&["10.0.0.0/8"]);
        let h = headers(&[("x-forwarded-for", "198.51.100.1"), ("forwarded", "for=198.51.100.2")]);
        assert_eq!(t.client_ip(ip("203.0.113.9"), &h), ip("203.0.113.9"));
        assert_eq!(TrustedProxies::default().client_ip(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn x_forwarded_for_is_walked_from_the_right() {
        assert_eq!(via_proxy(&[("x-forwarded-for", "198.51.100.1")]), "198.51.100.1");
        // A client-supplied left part is not believed past the first untrusted hop.
        assert_eq!(via_proxy(&[("x-forwarded-for", "1.1.1.1, 198.51.100.1")]), "198.51.100.1");
        assert_eq!(via_proxy(&[("x-forwarded-for", "1.1.1.1, 198.51.100.1, 10.2.3.4")]), "198.51.100.1");
        // Several header lines form one list.
        assert_eq!(via_proxy(&[("x-forwarded-for", "198.51.100.1"), ("x-forwarded-for", "10.9.9.9")]), "198.51.100.1");
        // Every hop trusted: the left-most.
        assert_eq!(via_proxy(&[("x-forwarded-for", "10.1.1.1, 10.2.2.2")]), "10.1.1.1");
        // Ports and brackets are tolerated.
        assert_eq!(via_proxy(&[("x-forwarded-for", "198.51.100.1:5555")]), "198.51.100.1");
        assert_eq!(via_proxy(&[("x-forwarded-for", "[2001:db8::5]:443")]), "2001:db8::5");
        assert_eq!(via_proxy(&[("x-forwarded-for", "2001:db8::5")]), "2001:db8::5");
        // No header, or an empty one: the peer.
        assert_eq!(via_proxy(&[]), "10.0.0.1");
        assert_eq!(via_proxy(&[("x-forwarded-for", " , ")]), "10.0.0.1");
    }

    #[test]
    fn garbage_hops_end_the_walk_at_the_proxy_that_reported_them() {
        assert_eq!(via_proxy(&[("x-forwarded-for", "not-an-ip")]), "10.0.0.1");
        assert_eq!(via_proxy(&[("x-forwarded-for", "198.51.100.1, unknown, 10.2.2.2")]), "10.2.2.2");
        assert_eq!(via_proxy(&[("x-forwarded-for", "198.51.100.1, 999.1.1.1")]), "10.0.0.1");
    }

    #[test]
    fn forwarded_is_parsed_per_rfc_7239() {
        assert_eq!(via_proxy(&[("forwarded", "for=192.0.2.60;proto=http;by=203.0.113.43")]), "192.0.2.60");
        assert_eq!(via_proxy(&[("forwarded", "For=\"[2001:db8:cafe::17]:4711\"")]), "2001:db8:cafe::17");
        assert_eq!(via_proxy(&[("forwarded", "for=\"[2001:db8:cafe::17]\"")]), "2001:db8:cafe::17");
        assert_eq!(via_proxy(&[("forwarded", "for=\"192.0.2.60:4711\"")]), "192.0.2.60");
        assert_eq!(via_proxy(&[("forwarded", "for=192.0.2.43, for=198.51.100.17")]), "198.51.100.17");
        assert_eq!(via_proxy(&[("forwarded", "for=192.0.2.43, for=\"[2001:db8:ffff::1]\"")]), "192.0.2.43");
        assert_eq!(
            via_proxy(&[("forwarded", "for=192.0.2.43"), ("forwarded", "for=10.3.3.3;proto=https")]),
            "192.0.2.43"
        );
        // Quoted separators do not split.
        assert_eq!(via_proxy(&[("forwarded", "for=192.0.2.43;host=\"a,b;c\"")]), "192.0.2.43");
        // Forwarded wins over X-Forwarded-For.
        assert_eq!(via_proxy(&[("forwarded", "for=192.0.2.1"), ("x-forwarded-for", "192.0.2.2")]), "192.0.2.1");
    }

    #[test]
    fn forwarded_unknown_obfuscated_and_malformed() {
        // An opaque hop stops the walk: the client-supplied address left of it is not believed.
        assert_eq!(via_proxy(&[("forwarded", "for=198.51.100.1, for=unknown")]), "10.0.0.1");
        assert_eq!(via_proxy(&[("forwarded", "for=198.51.100.1, for=_hidden, for=10.4.4.4")]), "10.4.4.4");
        assert_eq!(via_proxy(&[("forwarded", "for=\"_gazonk\"")]), "10.0.0.1");
        assert_eq!(via_proxy(&[("forwarded", "proto=https")]), "10.0.0.1");
        // Broken syntax: only the peer is believed.
        assert_eq!(via_proxy(&[("forwarded", "for=\"198.51.100.1")]), "10.0.0.1");
        assert_eq!(via_proxy(&[("forwarded", "for")]), "10.0.0.1");
        assert_eq!(via_proxy(&[("forwarded", "for=\"[2001:db8::1\"")]), "10.0.0.1");
        // An obfuscated port still names the address.
        assert_eq!(via_proxy(&[("forwarded", "for=\"[2001:db8::9]:_p1\"")]), "2001:db8::9");
    }

    #[test]
    fn ipv4_mapped_ipv6_counts_as_ipv4() {
        let t = trusted(&["127.0.0.1"]);
        let h = headers(&[("x-forwarded-for", "::ffff:198.51.100.1")]);
        // A dual-stack listener reports the IPv4 peer as mapped.
        assert_eq!(t.client_ip(ip("::ffff:127.0.0.1"), &h), ip("198.51.100.1"));
        assert!(t.contains(ip("::ffff:127.0.0.1")));
        let h = headers(&[("x-forwarded-for", "198.51.100.1, ::ffff:127.0.0.1")]);
        assert_eq!(t.client_ip(ip("127.0.0.1"), &h), ip("198.51.100.1"));
        assert_eq!(t.client_ip(ip("::ffff:203.0.113.1"), &h), ip("203.0.113.1"));
    }

    #[test]
    fn non_ascii_header_values_are_not_believed() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_bytes(b"198.51.100.1, \xff").unwrap());
        assert_eq!(trusted(&["10.0.0.0/8"]).client_ip(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }
}
