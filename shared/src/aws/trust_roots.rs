//! Which certificate roots the SDK's HTTPS client trusts.
//!
//! The SDK's default client loads every root of the operating system when a client is built
//! (on this machine: one bundle file, then each of ~300 files in `/etc/ssl/certs`) and parses
//! them all again for every connector it makes. That is most of a hook's fixed cold-start cost,
//! paid on every cold start even when the event needs no AWS call. AWS's own endpoints are all
//! signed by Amazon Trust Services, so those five roots (bundled in `amazon_trust_roots.pem`,
//! with their source) are all a hook needs in the commercial and GovCloud partitions. The
//! system's roots are still used where that is not known to hold: an `https://` endpoint override
//! (a proxy or VPC endpoint with a private CA), and the China and isolated partitions.

use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// Amazon Root CA 1–4 and Starfield Services Root G2, as PEM.
pub const AMAZON_TRUST_ROOTS_PEM: &str = include_str!("amazon_trust_roots.pem");

/// The roots a client trusts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustRoots {
    /// Amazon Trust Services' roots only.
    Amazon,
    /// Amazon's and the operating system's.
    AmazonAndSystem,
}

impl TrustRoots {
    /// The choice for this environment (`lookup` reads a variable), from the region
    /// (`AWS_REGION`, else `AWS_DEFAULT_REGION`) and any `AWS_ENDPOINT_URL[_<SERVICE>]` override.
    pub fn for_env(lookup: impl Fn(&str) -> Option<String>, names: impl IntoIterator<Item = String>) -> Self {
        let region = lookup("AWS_REGION")
            .or_else(|| lookup("AWS_DEFAULT_REGION"))
            .unwrap_or_default();
        // aws-cn (cn-north-1, …) and the isolated partitions (us-iso-east-1, eu-isoe-west-1, …)
        // are not documented as Amazon Trust Services only.
        let other_partition = region.starts_with("cn-") || region.contains("-iso");
        let https_override = names
            .into_iter()
            .filter(|name| name == "AWS_ENDPOINT_URL" || name.starts_with("AWS_ENDPOINT_URL_"))
            .filter_map(|name| lookup(&name))
            .any(|url| url.trim().to_ascii_lowercase().starts_with("https://"));
        if other_partition || https_override {
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

/// The SDK's own HTTPS client (hyper, rustls with aws-lc, the SDK's cipher suites), trusting
/// `roots`.
pub fn https_client(roots: TrustRoots) -> SharedHttpClient {
    let context = TlsContext::builder()
        .with_trust_store(roots.trust_store())
        .build()
        .expect("a trust store without extra server names is always valid");
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc))
        .tls_context(context)
        .build_https()
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
        assert_eq!(choose(&[]), TrustRoots::Amazon);
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
