//! Networks written as CIDR blocks (`10.0.0.0/8`, `::1/128`, or a bare address for one host), for
//! `TRUSTED_PROXIES`: the peers whose `X-Forwarded-For` is believed. Matching is on `std::net`
//! types; an IPv4 peer seen through a dual-stack socket (`::ffff:10.0.0.1`) matches its IPv4 block.

use std::net::IpAddr;
use std::str::FromStr;

/// One network: an address and how many of its leading bits are the network's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// The proxies trusted when `TRUSTED_PROXIES` is not set: this host only.
    pub const LOOPBACK: [Cidr; 2] = [
        Cidr { network: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), prefix: 32 },
        Cidr { network: IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), prefix: 128 },
    ];

    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.network, addr.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                same_prefix(u32::from(net).into(), u32::from(a).into(), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => same_prefix(u128::from(net), u128::from(a), 128, self.prefix),
            _ => false,
        }
    }

    /// Checks the prefix against the family the network ends up in: an IPv4-mapped IPv6 entry
    /// (`::ffff:10.0.0.0/104`) is stored as IPv4, so its prefix loses the 96 bits of the mapping;
    /// a mapped entry shorter than /96 would cover IPv6 space as well and is refused.
    fn new(written: IpAddr, prefix: Option<u8>) -> Option<Cidr> {
        let network = written.to_canonical();
        let width = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match (prefix, written.is_ipv6() && network.is_ipv4()) {
            (None, _) => width,
            (Some(p), true) => p.checked_sub(96)?,
            (Some(p), false) => p,
        };
        (prefix <= width).then_some(Cidr { network, prefix })
    }

    /// A comma-separated list (blanks around entries ignored, empty entries skipped).
    pub fn parse_list(text: &str) -> Result<Vec<Cidr>, String> {
        text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::parse).collect()
    }
}

/// Do `a` and `b` (addresses `width` bits wide, right-aligned in a u128) agree on their first
/// `prefix` bits?
fn same_prefix(a: u128, b: u128, width: u32, prefix: u8) -> bool {
    // A prefix wider than the address cannot come out of `Cidr::new`; refuse it rather than wrap
    // into "matches everything".
    let Some(host_bits) = width.checked_sub(u32::from(prefix)) else { return false };
    // A /0 has no network bits (and a shift by 128 would overflow).
    host_bits >= width || a.checked_shr(host_bits) == b.checked_shr(host_bits)
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(text: &str) -> Result<Cidr, String> {
        let bad = || format!("{text:?} is not an IP address or CIDR block (e.g. 10.0.0.0/8, ::1/128)");
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let written: IpAddr = addr.trim().parse().map_err(|_| bad())?;
        let prefix = prefix.map(|p| p.trim().parse::<u8>().map_err(|_| bad())).transpose()?;
        Cidr::new(written, prefix).ok_or_else(|| {
            format!(
                "{text:?} has a prefix longer than the address (at most /32 for IPv4, /128 for IPv6) \
                 or, for an IPv4-mapped address (::ffff:a.b.c.d), shorter than /96"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn blocks_contain_their_addresses_only() {
        let private: Cidr = "10.0.0.0/8".parse().unwrap();
        assert!(private.contains(ip("10.255.1.2")));
        assert!(!private.contains(ip("11.0.0.1")));
        assert!(private.contains(ip("::ffff:10.1.2.3")), "an IPv4 peer on a dual-stack socket");
        let host: Cidr = "192.0.2.7".parse().unwrap();
        assert!(host.contains(ip("192.0.2.7")) && !host.contains(ip("192.0.2.8")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let everyone: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(everyone.contains(ip("203.0.113.9")));
        assert!("::/0".parse::<Cidr>().unwrap().contains(ip("2001:db8::1")));
        assert!(Cidr::LOOPBACK.iter().any(|c| c.contains(ip("127.0.0.1"))));
        assert!(Cidr::LOOPBACK.iter().any(|c| c.contains(ip("::1"))));
        assert!(!Cidr::LOOPBACK.iter().any(|c| c.contains(ip("127.0.0.2"))));
    }

    #[test]
    fn lists_parse_or_say_what_is_wrong() {
        let list = Cidr::parse_list(" 127.0.0.1/32, ::1/128 ,10.0.0.0/8,").unwrap();
        assert_eq!(list.len(), 3);
        for bad in [
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "proxy.internal",
            "10.0.0.0/x",
            "::ffff:10.0.0.0/95",
            "::ffff:10.0.0.0/129",
            "::ffff:10.0.0.0/0",
            "::ffff:zz",
        ] {
            let refused = Cidr::parse_list(bad).unwrap_err();
            assert!(refused.contains(bad), "{bad}: {refused}");
        }
    }

    #[test]
    fn ipv4_mapped_entries_are_ipv4_blocks_of_the_same_size() {
        // Before: the /128 (or /104) of the mapped form was kept on the IPv4 network, and matching
        // computed `32 - 128` (a panic in debug, "trust everyone" in release).
        let one: Cidr = "::ffff:10.0.0.5".parse().unwrap();
        assert!(one.contains(ip("10.0.0.5")) && one.contains(ip("::ffff:10.0.0.5")));
        assert!(!one.contains(ip("10.0.0.6")) && !one.contains(ip("203.0.113.9")));
        let block: Cidr = "::ffff:10.0.0.0/104".parse().unwrap();
        assert_eq!(block, "10.0.0.0/8".parse().unwrap());
        assert!(block.contains(ip("10.9.8.7")) && !block.contains(ip("11.0.0.1")));
        let host: Cidr = "::ffff:10.0.0.5/128".parse().unwrap();
        assert_eq!(host, "10.0.0.5/32".parse().unwrap());
        let all_v4: Cidr = "::ffff:0.0.0.0/96".parse().unwrap();
        assert!(all_v4.contains(ip("203.0.113.9")) && !all_v4.contains(ip("2001:db8::1")));
        assert_eq!("10.0.0.0/32".parse::<Cidr>().unwrap().prefix, 32);
        assert_eq!("10.0.0.0/0".parse::<Cidr>().unwrap().prefix, 0);
    }

    #[test]
    fn an_impossible_prefix_matches_nothing() {
        let broken = Cidr { network: IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 0)), prefix: 104 };
        assert!(!broken.contains(ip("10.0.0.1")) && !broken.contains(ip("203.0.113.9")));
    }
}
