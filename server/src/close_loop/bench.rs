//! `server bench loop`: matching N feature requests against M release items, on a workspace of
//! its own in DATABASE_URL. Reports the pure matching time and the whole refresh (read, match,
//! write), separately.

use crate::demo;
use crate::store::load::NewRelease;
use crate::store::Store;
use std::time::Instant;

const VERBS: &[&str] = &[
    "Export", "Import", "Sync", "Schedule", "Share", "Filter", "Audit", "Archive", "Compress", "Preview", "Encrypt",
    "Tag",
];
const OBJECTS: &[&str] = &[
    "reports",
    "invoices",
    "video files",
    "user roles",
    "API tokens",
    "Slack alerts",
    "dashboards",
    "audit logs",
    "webhooks",
    "backups",
    "permissions",
    "libraries",
];
const QUALIFIERS: &[&str] = &[
    "as CSV",
    "to S3",
    "with Okta SSO",
    "in the EU region",
    "for admins",
    "on mobile",
    "every night",
    "via the API",
    "in bulk",
    "with 4K support",
    "from Salesforce",
    "per workspace",
];

/// Release notes with `items` bullet points in all, four to a release, from a fixed vocabulary.
pub fn synthetic_releases(items: usize, today: chrono::NaiveDate) -> Vec<NewRelease> {
    let mut out = Vec::new();
    let mut n = 0usize;
    let mut release = 0usize;
    while n < items {
        let bullets: Vec<String> = (0..4.min(items - n))
            .map(|k| {
                let i = n + k;
                format!(
                    "- {} {} {}",
                    VERBS[i % VERBS.len()],
                    OBJECTS[(i / VERBS.len()) % OBJECTS.len()],
                    QUALIFIERS[(i * 7 + i / 5) % QUALIFIERS.len()]
                )
            })
            .collect();
        n += bullets.len();
        out.push(NewRelease {
            source: "github",
            external_id: format!("bench-{release}"),
            title: format!("v{}.{} — release {release}", 6 + release / 100, release % 100),
            body: bullets.join("\n"),
            url: None,
            published_on: (today - chrono::Duration::days((release % 20) as i64))
                .format("%Y-%m-%d")
                .to_string(),
        });
        release += 1;
    }
    out
}

pub async fn run(store: &Store, requests: usize, items: usize) -> Result<(), String> {
    let today = chrono::Utc::now().date_naive();
    // About 0.5 requests per account in the demo generator.
    let accounts = (requests * 2).max(10);
    let stamp = chrono::Utc::now().format("%Y%m%d%H%M%S");
    let mut data = demo::generate(&demo::DemoSpec {
        accounts,
        seed: demo::DEFAULT_SEED,
        today,
        name: format!("Close the Loop benchmark ({requests} requests)"),
        slug: format!("bench-loop-{stamp}"),
    });
    data.requests.truncate(requests);
    data.releases = synthetic_releases(items, today);
    let ws = store.load_dataset(&data, &|_| {}).await.map_err(|e| e.to_string())?;
    // Items are split from the releases on the first refresh; time the second, as after a sync.
    super::refresh(store, ws).await.map_err(|e| e.to_string())?;
    let corpus = store.loop_corpus(ws).await.map_err(|e| e.to_string())?;
    println!(
        "workspace {ws}: {} requests, {} release items",
        corpus.requests.len(),
        corpus.items.len()
    );
    let mut pure = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let (proposals, _) = super::match_corpus(&corpus, None);
        pure.push((t.elapsed(), proposals.len()));
    }
    pure.sort();
    println!(
        "matching alone (BM25 + themes), median of 5: {:.0} ms, {} proposals",
        pure[2].0.as_secs_f64() * 1000.0,
        pure[2].1
    );
    let mut whole = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let stats = super::refresh(store, ws).await.map_err(|e| e.to_string())?;
        whole.push((t.elapsed(), stats));
    }
    whole.sort_by_key(|w| w.0);
    let (elapsed, s) = whole[1];
    println!(
        "whole refresh, median of 3: {:.0} ms (read {:.0} ms, match {:.0} ms, write {:.0} ms); {} themes",
        elapsed.as_secs_f64() * 1000.0,
        s.read.as_secs_f64() * 1000.0,
        s.matched.as_secs_f64() * 1000.0,
        s.written.as_secs_f64() * 1000.0,
        s.themes
    );
    println!(
        "target: < 2000 ms for 5,000 requests × 2,000 items — {}",
        if elapsed.as_millis() < 2000 { "met" } else { "NOT met" }
    );
    Ok(())
}
