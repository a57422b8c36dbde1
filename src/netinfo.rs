//! The machine's LAN address and MAC, for brokers that want them in headers.
//! Nothing here sends a packet: the outbound address comes from the kernel's
//! route choice for a connected UDP socket, and there is no public-IP lookup.

use std::net::{IpAddr, Ipv4Addr, UdpSocket};

/// Where no route exists: the IP header still needs a value.
const FALLBACK_IP: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
/// Where the machine has no readable MAC: the header still needs a value.
pub(crate) const FALLBACK_MAC: &str = "00:00:00:00:00:00";
/// A documentation address (RFC 5737): a route lookup target that is never used.
const ROUTE_PROBE: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

/// The local address the kernel would use to reach `target`, or, when the
/// target is a host name, the address of the default route's interface.
pub(crate) fn outbound_ip(target: Option<IpAddr>) -> IpAddr {
    let target = target.unwrap_or(ROUTE_PROBE);
    let bind: IpAddr = match target {
        IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        IpAddr::V6(_) => std::net::Ipv6Addr::UNSPECIFIED.into(),
    };
    UdpSocket::bind((bind, 0))
        .and_then(|socket| {
            socket.connect((target, 9))?;
            socket.local_addr()
        })
        .map(|addr| addr.ip())
        .unwrap_or(FALLBACK_IP)
}

/// The MAC of the machine's first non-loopback interface, `aa:bb:cc:dd:ee:ff`.
pub(crate) fn machine_mac() -> String {
    match mac_address::get_mac_address() {
        Ok(Some(mac)) => {
            let b = mac.bytes();
            format!(
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                b[0], b[1], b[2], b[3], b[4], b[5]
            )
        }
        _ => FALLBACK_MAC.to_string(),
    }
}

/// The IP literal in a URL's host, if it is one (`localhost` counts as loopback).
pub(crate) fn host_ip(url: &str) -> Option<IpAddr> {
    let url = reqwest::Url::parse(url).ok()?;
    match url.host()? {
        url::Host::Ipv4(ip) => Some(ip.into()),
        url::Host::Ipv6(ip) => Some(ip.into()),
        url::Host::Domain(d) if d.eq_ignore_ascii_case("localhost") => {
            Some(Ipv4Addr::LOCALHOST.into())
        }
        url::Host::Domain(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_target_uses_loopback_source() {
        assert!(outbound_ip(Some(Ipv4Addr::LOCALHOST.into())).is_loopback());
    }

    #[test]
    fn host_ip_reads_literals_only() {
        assert_eq!(
            host_ip("http://127.0.0.1:80/x"),
            Some(Ipv4Addr::LOCALHOST.into())
        );
        assert_eq!(
            host_ip("http://localhost:80"),
            Some(Ipv4Addr::LOCALHOST.into())
        );
        assert_eq!(host_ip("https://apiconnect.angelone.in"), None);
    }

    #[test]
    fn mac_is_well_formed() {
        let mac = machine_mac();
        assert_eq!(mac.len(), 17);
        assert_eq!(mac.matches(':').count(), 5);
    }
}
