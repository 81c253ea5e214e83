//! The server's own time for one route, read from its `/metrics` histogram
//! (`atrium_http_request_duration_seconds`), so that a bench can tell the server's share of a
//! latency from the client's and the loopback's.

use std::collections::BTreeMap;

/// Cumulative counts of one route's histogram, by upper bound in seconds (`+Inf` as infinity).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RouteHistogram(BTreeMap<u64, u64>);

impl RouteHistogram {
    /// Reads the histogram of `method` `route` (the route's template, e.g.
    /// `/api/v1/tasks/{task}/move`) from the server at `base`.
    pub async fn read(
        http: &reqwest::Client,
        base: &str,
        method: &str,
        route: &str,
    ) -> anyhow::Result<Self> {
        let text = http
            .get(format!("{base}/metrics"))
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        Ok(Self::parse(&text, method, route))
    }

    fn parse(text: &str, method: &str, route: &str) -> Self {
        let method = format!("method=\"{method}\"");
        let route = format!("route=\"{route}\"");
        let mut buckets = BTreeMap::new();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix("atrium_http_request_duration_seconds_bucket{")
            else {
                continue;
            };
            let Some((labels, count)) = rest.split_once("} ") else {
                continue;
            };
            if !labels.contains(&method) || !labels.contains(&route) {
                continue;
            }
            let Some(le) = labels
                .split(',')
                .find_map(|l| l.strip_prefix("le=\""))
                .and_then(|l| l.strip_suffix('"'))
            else {
                continue;
            };
            let bound = if le == "+Inf" {
                u64::MAX
            } else {
                match le.parse::<f64>() {
                    // Microseconds: the buckets are 0.5 ms and up.
                    Ok(s) => (s * 1e6).round() as u64,
                    Err(_) => continue,
                }
            };
            if let Ok(count) = count.trim().parse::<f64>() {
                buckets.insert(bound, count as u64);
            }
        }
        RouteHistogram(buckets)
    }

    /// What was counted between `earlier` and `self`.
    pub fn since(&self, earlier: &RouteHistogram) -> RouteHistogram {
        RouteHistogram(
            self.0
                .iter()
                .map(|(le, n)| (*le, n - earlier.0.get(le).copied().unwrap_or(0)))
                .collect(),
        )
    }

    /// `≤ 1 ms: 480/500, ≤ 5 ms: 497/500, …` for the bounds given in milliseconds.
    pub fn describe(&self, bounds_ms: &[f64]) -> String {
        let total = self.0.get(&u64::MAX).copied().unwrap_or(0);
        bounds_ms
            .iter()
            .filter_map(|ms| {
                let n = self.0.get(&((ms * 1000.0).round() as u64))?;
                Some(format!("≤ {ms} ms: {n}/{total}"))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_routes_buckets_and_their_difference() {
        let text = "\
atrium_http_request_duration_seconds_bucket{method=\"POST\",route=\"/a\",le=\"0.001\"} 3
atrium_http_request_duration_seconds_bucket{method=\"POST\",route=\"/a\",le=\"0.005\"} 9
atrium_http_request_duration_seconds_bucket{method=\"POST\",route=\"/a\",le=\"+Inf\"} 10
atrium_http_request_duration_seconds_bucket{method=\"GET\",route=\"/a\",le=\"0.005\"} 99
atrium_http_request_duration_seconds_bucket{method=\"POST\",route=\"/b\",le=\"0.005\"} 77
";
        let before = RouteHistogram::parse(text, "POST", "/a");
        let after = RouteHistogram::parse(
            &text.replace("} 9\n", "} 12\n").replace("} 10\n", "} 14\n"),
            "POST",
            "/a",
        );
        assert_eq!(before.describe(&[1.0, 5.0]), "≤ 1 ms: 3/10, ≤ 5 ms: 9/10");
        assert_eq!(
            after.since(&before).describe(&[1.0, 5.0]),
            "≤ 1 ms: 0/4, ≤ 5 ms: 3/4"
        );
    }
}
