//! Which certificate roots the SDK's HTTPS client trusts.
//!
//! The SDK's default client loads every root of the operating system when a client is built
//! (on this machine: one bundle file, then each of ~300 files in `/etc/ssl/certs`) and parses
//! them all again for every connector it makes. That was most of a hook's fixed cold-start cost,
//! paid on every cold start even when the event needs no AWS call. AWS has moved its service
//! endpoints to certificates from its own CA, Amazon Trust Services, so in the commercial and
//! GovCloud partitions the hooks trust those five roots (bundled in `amazon_trust_roots.pem`,
//! with their source). The system's roots are added back wherever that may not hold: an
//! `https://` endpoint override (a proxy or VPC endpoint with a private CA), a configured HTTP(S)
//! proxy (a TLS-inspecting proxy signs with its own CA), `SSL_CERT_FILE`/`SSL_CERT_DIR` (someone
//! chose the roots), any region outside those two partitions, and `TRUST_SYSTEM_ROOTS=true`, the
//! switch for anything this list did not foresee.

use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

use crate::config::env::{non_empty, parse_bool};

/// Amazon Root CA 1–4 and Starfield Services Root G2, as PEM.
pub const AMAZON_TRUST_ROOTS_PEM: &str = include_str!("amazon_trust_roots.pem");

/// The variables that route the SDK's requests through a proxy (read by
/// [`ProxyConfig::from_env`]).
const PROXY_VARIABLES: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// The roots a client trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustRoots {
    /// Amazon Trust Services' roots only.
    Amazon,
    /// Amazon's and the operating system's.
    AmazonAndSystem,
}

/// A region of the `aws` or `aws-us-gov` partition, by the partitions' own patterns
/// (`^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$`, `^us-gov-\w+-\d+$`), the isolated ones
/// (`us-iso-…`, `eu-isoe-…`) excepted.
fn commercial_or_govcloud(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let word = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    let number = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        ["us", "gov", middle, n] => word(middle) && number(n),
        [prefix, middle, n] => {
            ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"].contains(prefix)
                && word(middle)
                && !middle.starts_with("iso")
                && number(n)
        }
        _ => false,
    }
}

impl TrustRoots {
    /// The choice for this environment (`lookup` reads a variable; `names` are all the
    /// variables set, for the `AWS_ENDPOINT_URL_<SERVICE>` overrides).
    pub fn for_env(lookup: impl Fn(&str) -> Option<String>, names: impl IntoIterator<Item = String>) -> Self {
        let set = |name: &str| non_empty(&lookup, name);
        let asked = match parse_bool(&lookup, "TRUST_SYSTEM_ROOTS") {
            Ok(v) => v.unwrap_or(false),
            // Unreadable: take the side that cannot break a connection.
            Err(e) => {
                tracing::warn!(error = %e, "using the system's roots as well");
                true
            }
        };
        let region = set("AWS_REGION")
            .or_else(|| set("AWS_DEFAULT_REGION"))
            .unwrap_or_default();
        let https_override = names
            .into_iter()
            .filter(|name| name == "AWS_ENDPOINT_URL" || name.starts_with("AWS_ENDPOINT_URL_"))
            .filter_map(|name| set(&name))
            .any(|url| url.to_ascii_lowercase().starts_with("https://"));
        let proxy = PROXY_VARIABLES.iter().any(|v| set(v).is_some());
        let chosen_roots = set("SSL_CERT_FILE").is_some() || set("SSL_CERT_DIR").is_some();
        if asked || https_override || proxy || chosen_roots || !commercial_or_govcloud(&region) {
            TrustRoots::AmazonAndSystem
        } else {
            TrustRoots::Amazon
        }
    }

    /// The process's own choice.
    pub fn from_process_env() -> Self {
        Self::for_env(|name| std::env::var(name).ok(), std::env::vars().map(|(name, _)| name))
    }

    fn trust_store(self) -> TrustStore {
        TrustStore::empty()
            .with_native_roots(self == TrustRoots::AmazonAndSystem)
            .with_pem_certificate(AMAZON_TRUST_ROOTS_PEM.as_bytes())
    }
}

/// The SDK's own default HTTPS client (hyper; rustls with aws-lc and the SDK's cipher suites;
/// `HTTP(S)_PROXY`/`NO_PROXY` from the environment, as the SDK does from behavior version
/// 2025-08-07), trusting `roots`. Built the way `aws-smithy-runtime` builds its default, with the
/// trust store as the one difference.
pub fn https_client(roots: TrustRoots) -> SharedHttpClient {
    let context = TlsContext::builder()
        .with_trust_store(roots.trust_store())
        .build()
        .expect("a trust store without extra server names is always valid");
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
            .tls_context(context.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::env;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    use sha2::{Digest, Sha256};

    fn choose(pairs: &[(&str, &str)]) -> TrustRoots {
        TrustRoots::for_env(env(pairs), pairs.iter().map(|(k, _)| k.to_string()))
    }

    #[test]
    fn the_bundled_roots_are_amazons_five_by_fingerprint() {
        let ders = CertificateDer::pem_slice_iter(AMAZON_TRUST_ROOTS_PEM.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("every block parses");
        let fingerprints: Vec<String> = ders
            .iter()
            .map(|der| {
                Sha256::digest(der.as_ref())
                    .iter()
                    .map(|b| format!("{b:02X}"))
                    .collect()
            })
            .collect();
        assert_eq!(
            fingerprints,
            [
                "8ECDE6884F3D87B1125BA31AC3FCB13D7016DE7F57CC904FE1CB97C6AE98196E",
                "1BA5B2AA8C65401A82960118F80BEC4F62304D83CEC4713A19C39C011EA46DB4",
                "18CE6CFE7BF14E60B2E347B8DFE868CB31D02EBB3ADA271569F50343B46DB3A4",
                "E35D28419ED02025CFA69038CD623962458DA5C695FBDEA3C22B0BFB25897092",
                "568D6905A2C88708A4B3025190EDCFEDB1974A606A13C6E5290FCB2AE63EDAB5",
            ]
        );
    }

    #[test]
    fn the_header_text_of_the_bundle_names_every_fingerprint_it_holds() {
        for fp in [
            "8E:CD:E6:88",
            "1B:A5:B2:AA",
            "18:CE:6C:FE",
            "E3:5D:28:41",
            "56:8D:69:05",
        ] {
            assert!(AMAZON_TRUST_ROOTS_PEM.contains(fp), "{fp}");
        }
    }

    #[test]
    fn commercial_and_govcloud_regions_trust_amazon_roots_only() {
        assert_eq!(choose(&[("AWS_REGION", "eu-west-1")]), TrustRoots::Amazon);
        assert_eq!(choose(&[("AWS_REGION", "us-gov-west-1")]), TrustRoots::Amazon);
        assert_eq!(choose(&[("AWS_DEFAULT_REGION", "ap-southeast-2")]), TrustRoots::Amazon);
        for region in [
            "us-east-1",
            "il-central-1",
            "mx-central-1",
            "ca-west-1",
            "us-gov-east-1",
        ] {
            assert_eq!(choose(&[("AWS_REGION", region)]), TrustRoots::Amazon, "{region}");
        }
    }

    #[test]
    fn a_region_outside_the_two_partitions_or_none_adds_the_system_roots() {
        assert_eq!(choose(&[]), TrustRoots::AmazonAndSystem);
        assert_eq!(choose(&[("AWS_REGION", "")]), TrustRoots::AmazonAndSystem);
        for region in ["eusc-de-east-1", "xx-east-1", "us-east", "us-east-1-x", "local"] {
            assert_eq!(
                choose(&[("AWS_REGION", region)]),
                TrustRoots::AmazonAndSystem,
                "{region}"
            );
        }
    }

    #[test]
    fn a_proxy_chosen_roots_or_the_switch_add_the_system_roots() {
        let region = ("AWS_REGION", "eu-west-1");
        for (k, v) in [
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("http_proxy", "http://proxy:3128"),
            ("ALL_PROXY", "socks5://proxy"),
            ("SSL_CERT_FILE", "/etc/corp/ca.pem"),
            ("SSL_CERT_DIR", "/etc/corp/certs"),
            ("TRUST_SYSTEM_ROOTS", "true"),
            ("TRUST_SYSTEM_ROOTS", "maybe"),
        ] {
            assert_eq!(choose(&[region, (k, v)]), TrustRoots::AmazonAndSystem, "{k}={v}");
        }
        assert_eq!(choose(&[region, ("TRUST_SYSTEM_ROOTS", "false")]), TrustRoots::Amazon);
        assert_eq!(choose(&[region, ("HTTPS_PROXY", " ")]), TrustRoots::Amazon);
    }

    #[test]
    fn china_and_isolated_partitions_add_the_system_roots() {
        for region in [
            "cn-north-1",
            "cn-northwest-1",
            "us-iso-east-1",
            "us-isob-east-1",
            "eu-isoe-west-1",
        ] {
            assert_eq!(
                choose(&[("AWS_REGION", region)]),
                TrustRoots::AmazonAndSystem,
                "{region}"
            );
        }
        // AWS_REGION wins over AWS_DEFAULT_REGION, as in the SDK.
        assert_eq!(
            choose(&[("AWS_REGION", "eu-west-1"), ("AWS_DEFAULT_REGION", "cn-north-1")]),
            TrustRoots::Amazon
        );
    }

    #[test]
    fn an_https_endpoint_override_adds_the_system_roots_and_plain_http_does_not() {
        let region = ("AWS_REGION", "eu-west-1");
        assert_eq!(
            choose(&[region, ("AWS_ENDPOINT_URL", "https://proxy.corp.example")]),
            TrustRoots::AmazonAndSystem
        );
        assert_eq!(
            choose(&[
                region,
                ("AWS_ENDPOINT_URL_CODEDEPLOY", " HTTPS://vpce-1.codedeploy.example")
            ]),
            TrustRoots::AmazonAndSystem
        );
        assert_eq!(
            choose(&[region, ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")]),
            TrustRoots::Amazon
        );
        // Not an endpoint variable.
        assert_eq!(
            choose(&[region, ("AWS_ENDPOINT_URLS", "https://x")]),
            TrustRoots::Amazon
        );
    }
}
