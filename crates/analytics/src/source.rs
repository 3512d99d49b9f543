//! Where a session came from (direct, referral, organic or paid search, campaign), which device
//! it uses and which region it is in — worked out once, when the session starts.

use serde::{Deserialize, Serialize};

/// How a visitor arrived.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail")]
pub enum Source {
    /// Typed the address or came from a bookmark.
    Direct,
    /// A link on another site (its host).
    Referral(String),
    /// A search engine's unpaid results (the engine).
    Organic(String),
    /// A search engine's paid results (the engine).
    Paid(String),
    /// A tagged campaign link (`utm_source`), e.g. a newsletter or a trade-fair QR code.
    Campaign(String),
}

impl Source {
    /// The source's kind, the dimension value a report groups by.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Direct => "direct",
            Source::Referral(_) => "referral",
            Source::Organic(_) => "organic",
            Source::Paid(_) => "paid",
            Source::Campaign(_) => "campaign",
        }
    }

    /// `referral: supplier-forum.cn`, `organic: baidu`, `direct`.
    pub fn label(&self) -> String {
        match self {
            Source::Direct => "direct".into(),
            Source::Referral(d) | Source::Organic(d) | Source::Paid(d) | Source::Campaign(d) => {
                format!("{}: {d}", self.kind())
            }
        }
    }
}

/// Search engines by the host part that names them.
const ENGINES: &[(&str, &str)] = &[
    ("baidu.", "baidu"),
    ("google.", "google"),
    ("bing.", "bing"),
    ("sogou.", "sogou"),
    ("so.com", "360"),
    ("sm.cn", "shenma"),
    ("yandex.", "yandex"),
    ("duckduckgo.", "duckduckgo"),
];

fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest
        .split(['/', '?', '#'])
        .next()?
        .rsplit('@')
        .next()?
        .split(':')
        .next()?
        .trim()
        .to_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    (!host.is_empty()).then_some(host)
}

fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name)
            .then(|| decode(v))
            .filter(|v| !v.trim().is_empty())
    })
}

/// Percent-decoding of a query value (`+` is a space).
fn decode(v: &str) -> String {
    percent_encoding::percent_decode_str(&v.replace('+', " "))
        .decode_utf8_lossy()
        .trim()
        .to_string()
}

/// The source and campaign of a session from its landing URL (with any `utm_*` parameters)
/// and the referrer, the way web analytics do it: paid tags first, then campaigns, then the
/// referring host (a search engine's or another site's), else direct. A referrer on our own
/// host counts as direct.
pub fn classify_source(
    landing_url: &str,
    referrer: Option<&str>,
    own_host: Option<&str>,
) -> (Source, Option<String>) {
    let campaign = query_param(landing_url, "utm_campaign");
    let medium = query_param(landing_url, "utm_medium").map(|m| m.to_lowercase());
    let utm_source = query_param(landing_url, "utm_source").map(|s| s.to_lowercase());
    let referrer_host = referrer
        .and_then(host_of)
        .filter(|h| Some(h.as_str()) != own_host.and_then(host_of).as_deref());
    let engine_of = |host: &str| {
        ENGINES
            .iter()
            .find(|(part, _)| host.contains(part))
            .map(|(_, name)| name.to_string())
    };
    let paid_click = landing_url.contains("gclid=")
        || landing_url.contains("bd_vid=")
        || landing_url.contains("msclkid=");
    let paid = paid_click
        || matches!(
            medium.as_deref(),
            Some("cpc" | "ppc" | "paid" | "paidsearch" | "sem")
        );
    let source = if paid {
        let engine = utm_source
            .clone()
            .or_else(|| referrer_host.as_deref().and_then(engine_of))
            .unwrap_or_else(|| "unknown".into());
        Source::Paid(engine)
    } else if let Some(s) = utm_source {
        Source::Campaign(s)
    } else if let Some(host) = referrer_host {
        match engine_of(&host) {
            Some(engine) => Source::Organic(engine),
            None => Source::Referral(host),
        }
    } else {
        Source::Direct
    };
    (source, campaign)
}

/// `phone`, `tablet` or `desktop`, from the User-Agent header.
pub fn device_of(user_agent: Option<&str>) -> &'static str {
    let ua = user_agent.unwrap_or_default().to_lowercase();
    if ua.contains("ipad") || ua.contains("tablet") {
        "tablet"
    } else if ua.contains("mobi") || ua.contains("iphone") || ua.contains("android") {
        "phone"
    } else {
        "desktop"
    }
}

/// China's provincial-level divisions, as addresses start with them.
const PROVINCES: &[&str] = &[
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
];

/// The province an address is in (`浙江省宁波市…` → `浙江`), for sessions without a region header.
pub fn region_of_address(address: &str) -> Option<&'static str> {
    let address = address.trim();
    PROVINCES
        .iter()
        .filter(|p| {
            address.starts_with(*p)
                || address.contains(&format!("{p}省"))
                || address.contains(&format!("{p}市"))
        })
        .max_by_key(|p| p.len())
        .copied()
}

/// ISO 3166-2:CN codes of the provincial divisions, as geo-IP edges send them.
const PROVINCE_CODES: &[(&str, &str)] = &[
    ("BJ", "北京"),
    ("TJ", "天津"),
    ("SH", "上海"),
    ("CQ", "重庆"),
    ("HE", "河北"),
    ("SX", "山西"),
    ("LN", "辽宁"),
    ("JL", "吉林"),
    ("HL", "黑龙江"),
    ("JS", "江苏"),
    ("ZJ", "浙江"),
    ("AH", "安徽"),
    ("FJ", "福建"),
    ("JX", "江西"),
    ("SD", "山东"),
    ("HA", "河南"),
    ("HB", "湖北"),
    ("HN", "湖南"),
    ("GD", "广东"),
    ("HI", "海南"),
    ("SC", "四川"),
    ("GZ", "贵州"),
    ("YN", "云南"),
    ("SN", "陕西"),
    ("GS", "甘肃"),
    ("QH", "青海"),
    ("TW", "台湾"),
    ("NM", "内蒙古"),
    ("GX", "广西"),
    ("XZ", "西藏"),
    ("NX", "宁夏"),
    ("XJ", "新疆"),
    ("HK", "香港"),
    ("MO", "澳门"),
];

/// A region header's value as a province name: `CN-JS` and `JS` become 江苏, 江苏省 becomes
/// 江苏; anything else is kept as sent (at most 64 characters).
pub fn region_of_header(value: &str) -> String {
    let v = value.trim();
    let code = v
        .strip_prefix("CN-")
        .or_else(|| v.strip_prefix("cn-"))
        .unwrap_or(v);
    if let Some((_, name)) = PROVINCE_CODES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
    {
        return name.to_string();
    }
    match region_of_address(v) {
        Some(p) => p.to_string(),
        None => v.chars().take(64).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_classified_like_web_analytics_do() {
        let c =
            |url: &str, r: Option<&str>| classify_source(url, r, Some("https://zhuchao.example"));
        assert_eq!(c("https://zhuchao.example/", None), (Source::Direct, None));
        assert_eq!(
            c(
                "https://zhuchao.example/",
                Some("https://www.baidu.com/s?wd=螺栓")
            )
            .0,
            Source::Organic("baidu".into())
        );
        assert_eq!(
            c(
                "https://zhuchao.example/?utm_source=baidu&utm_medium=cpc&utm_campaign=spring+sale",
                Some("https://www.baidu.com/")
            ),
            (Source::Paid("baidu".into()), Some("spring sale".into()))
        );
        assert_eq!(
            c(
                "https://zhuchao.example/p?gclid=x",
                Some("https://www.google.com/")
            )
            .0,
            Source::Paid("google".into())
        );
        assert_eq!(
            c(
                "https://zhuchao.example/?utm_source=newsletter&utm_campaign=%E5%B1%95%E4%BC%9A",
                None
            ),
            (Source::Campaign("newsletter".into()), Some("展会".into()))
        );
        assert_eq!(
            c(
                "https://zhuchao.example/",
                Some("https://forum.fastener.cn/t/1")
            )
            .0,
            Source::Referral("forum.fastener.cn".into())
        );
        assert_eq!(
            c(
                "https://zhuchao.example/x",
                Some("https://zhuchao.example/search")
            )
            .0,
            Source::Direct,
            "our own pages are not referrers"
        );
    }

    #[test]
    fn devices_and_regions() {
        assert_eq!(
            device_of(Some(
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"
            )),
            "phone"
        );
        assert_eq!(
            device_of(Some("Mozilla/5.0 (X11; Linux x86_64) Chrome/120")),
            "desktop"
        );
        assert_eq!(device_of(None), "desktop");
        assert_eq!(region_of_address("浙江省宁波市北仑区"), Some("浙江"));
        assert_eq!(region_of_address("上海市嘉定区"), Some("上海"));
        assert_eq!(region_of_address("黑龙江省哈尔滨市"), Some("黑龙江"));
        assert_eq!(region_of_address("somewhere"), None);
        assert_eq!(region_of_header("CN-JS"), "江苏");
        assert_eq!(region_of_header("zj"), "浙江");
        assert_eq!(region_of_header("广东省"), "广东");
        assert_eq!(region_of_header("Bavaria"), "Bavaria");
    }
}
