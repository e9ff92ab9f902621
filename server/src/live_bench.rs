//! `server bench live`: how the event stream holds up with many open pages. Starts a server
//! process of its own (on a fresh SQLite database in a temporary folder), opens N event streams
//! to it as a signed-in CSM, measures the server's memory per open stream, then moves a deal M
//! times and times each move's answer and how long its event takes to reach every stream — the
//! Kanban's "a move in one browser shows in another".

use crate::store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PASSWORD: &str = "benchmark password 1";

pub async fn run(clients: usize, moves: usize) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("success-bench-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db_url = format!("sqlite://{}/success.db", dir.display());
    let store = Store::connect(&db_url).await.map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    let today = chrono::Utc::now().date_naive();
    let spec = crate::demo::DemoSpec {
        accounts: 300,
        seed: crate::demo::DEFAULT_SEED,
        today,
        name: "Live benchmark".into(),
        slug: "live-bench".into(),
    };
    let ws = store
        .load_dataset(&crate::demo::generate(&spec), &|_| {})
        .await
        .map_err(|e| e.to_string())?;
    let hash = crate::auth::hash_password(PASSWORD.into()).await?;
    store
        .create_member(
            ws,
            "bench@success.test",
            "Bench",
            &hash,
            app::access::Role::Csm,
            true,
            chrono::Utc::now(),
        )
        .await
        .map_err(|e| e.to_string())?;
    let deal: (i64, i64) = {
        use sqlx::Row;
        let r = sqlx::query(
            "SELECT id, version FROM deals WHERE workspace_id = $1 AND source <> 'salesbricks' \
             AND stage IN ('discovery', 'evaluation', 'proposal') ORDER BY id LIMIT 1",
        )
        .bind(ws)
        .fetch_one(store.pool())
        .await
        .map_err(|e| e.to_string())?;
        (r.get(0), r.get(1))
    };
    store.close().await;

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = std::process::Command::new(exe)
        .arg("serve")
        .env("DATABASE_URL", &db_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "success")
        .env("LEPTOS_SITE_ROOT", &dir)
        .env("SUCCESS_DATA_DIR", &dir)
        .env("SUCCESS_RESCORE_MINUTES", "1440")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let pid = child.id();
    let result = measure(port, pid, clients, moves, deal).await;
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn measure(port: u16, pid: u32, clients: usize, moves: usize, deal: (i64, i64)) -> Result<(), String> {
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while http.get(format!("{base}/api/events")).send().await.is_err() {
        if Instant::now() > deadline {
            return Err("the server did not come up".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let signed = http
        .post(format!("{base}/api/fn/sign_in"))
        .header("origin", &base)
        .form(&[("email", "bench@success.test"), ("password", PASSWORD)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let cookie = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("success_session="))
        .map(|c| format!("success_session={}", c.split(';').next().unwrap_or("")))
        .ok_or("signing in failed")?;
    // Let the start-up rescoring finish before measuring memory.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_before = rss_kib(pid);

    // (stream, when) for every deal event a stream reads.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant)>();
    let connected = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let opened = Instant::now();
    for client in 0..clients {
        let (tx, connected, cookie) = (tx.clone(), connected.clone(), cookie.clone());
        tokio::spawn(async move {
            let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
                return;
            };
            let request = format!(
                "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n"
            );
            if stream.write_all(request.as_bytes()).await.is_err() {
                return;
            }
            let mut buf = vec![0u8; 4096];
            let mut carry = String::new();
            let mut headers_done = false;
            loop {
                let n = match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let at = Instant::now();
                let text = carry.clone() + &String::from_utf8_lossy(&buf[..n]);
                if !headers_done && text.contains("\r\n\r\n") {
                    headers_done = true;
                    connected.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                for _ in 0..text.matches("deal_changed").count() {
                    let _ = tx.send((client, at));
                }
                // Enough of the tail to catch a name split across reads, too little to hold one whole.
                let keep = text.len().saturating_sub(11);
                carry = text.get(keep..).unwrap_or_default().to_string();
            }
        });
    }
    drop(tx);
    let deadline = Instant::now() + Duration::from_secs(60);
    while connected.load(std::sync::atomic::Ordering::Relaxed) < clients {
        if Instant::now() > deadline {
            return Err(format!(
                "only {} of {clients} streams opened",
                connected.load(std::sync::atomic::Ordering::Relaxed)
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let open_time = opened.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after = rss_kib(pid);

    let (deal_id, mut version) = deal;
    let mut answers = Vec::new();
    let mut deliveries: Vec<f64> = Vec::new();
    let mut missing = 0usize;
    for k in 0..moves {
        let stage = ["proposal", "evaluation"][k % 2];
        let sent = Instant::now();
        let reply = http
            .post(format!("{base}/api/fn/move_deal"))
            .header("origin", &base)
            .header("cookie", &cookie)
            .form(&[
                ("deal_id", deal_id.to_string()),
                ("stage", stage.to_string()),
                ("version", version.to_string()),
            ])
            .send()
            .await
            .map_err(|e| e.to_string())?;
        answers.push(sent.elapsed().as_secs_f64() * 1000.0);
        let body: serde_json::Value = reply.json().await.map_err(|e| e.to_string())?;
        version = body["version"]
            .as_i64()
            .ok_or_else(|| format!("the move failed: {body}"))?;
        // Each stream's first deal event after the move was sent is this move's.
        let mut reached = std::collections::HashSet::new();
        let wait_until = Instant::now() + Duration::from_secs(5);
        while reached.len() < clients {
            match tokio::time::timeout_at(wait_until.into(), rx.recv()).await {
                Ok(Some((client, at))) if at >= sent && reached.insert(client) => {
                    deliveries.push(at.duration_since(sent).as_secs_f64() * 1000.0);
                }
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        missing += clients - reached.len();
        // Later events of the same move (an Attio deal's write-back outcome) are not the next move's.
        tokio::time::sleep(Duration::from_millis(300)).await;
        while rx.try_recv().is_ok() {}
    }
    let per_conn = rss_after.saturating_sub(rss_before) as f64 / clients as f64;
    println!("{clients} event streams opened in {:.2} s", open_time.as_secs_f64());
    println!(
        "server memory: {rss_before} KiB before, {rss_after} KiB with the streams open: {per_conn:.1} KiB per stream"
    );
    println!(
        "move answered (ms): p50 {:.1}  p95 {:.1}  max {:.1}  ({} moves)",
        percentile(&mut answers, 50.0),
        percentile(&mut answers, 95.0),
        percentile(&mut answers, 100.0),
        moves
    );
    println!(
        "move sent → event received by every stream (ms): p50 {:.1}  p95 {:.1}  p99 {:.1}  max {:.1}  ({} deliveries, {missing} missing)",
        percentile(&mut deliveries, 50.0),
        percentile(&mut deliveries, 95.0),
        percentile(&mut deliveries, 99.0),
        percentile(&mut deliveries, 100.0),
        deliveries.len()
    );
    Ok(())
}

fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let i = ((p / 100.0) * (values.len() - 1) as f64).round() as usize;
    values[i.min(values.len() - 1)]
}

/// A process's resident memory now, from /proc (Linux).
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
