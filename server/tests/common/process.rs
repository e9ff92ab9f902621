//! A Success server process of its own on a free loopback port (replicas, restarts).

use super::sse_events;
use std::time::{Duration, Instant};

/// A server process of its own, killed when dropped.
pub struct Replica {
    pub process: std::process::Child,
    pub base: String,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Replica {
    pub async fn start(db_url: &str, key: &str, dir: &std::path::Path) -> Replica {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_path_buf();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .current_dir(&root)
            .env("DATABASE_URL", db_url)
            .env("SUCCESS_SECRET_KEY", key)
            .env("SUCCESS_DATA_DIR", dir)
            .env("SUCCESS_ALLOW_PRIVATE_NETWORK", "true")
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_OUTPUT_NAME", "success")
            .env("LEPTOS_SITE_ROOT", dir)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start a server process");
        let mut replica = Replica {
            process: child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = reqwest::get(format!("{}/api/events", replica.base)).await {
                assert_eq!(r.status(), 401, "an anonymous stream is refused");
                return replica;
            }
            if let Ok(Some(status)) = replica.process.try_wait() {
                panic!("the server process exited: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "the server at {} did not come up",
                replica.base
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn call(&self, name: &str, cookie: &str, form: &[(&str, &str)]) -> reqwest::Response {
        reqwest::Client::new()
            .post(format!("{}/api/fn/{name}", self.base))
            .header("cookie", cookie)
            .header("origin", &self.base)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn stream(
        &self,
        cookie: &str,
        last: Option<i64>,
    ) -> tokio::sync::mpsc::UnboundedReceiver<(Option<i64>, String)> {
        let mut req = reqwest::Client::new()
            .get(format!("{}/api/events", self.base))
            .header("cookie", cookie);
        if let Some(id) = last {
            req = req.header("last-event-id", id.to_string());
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        sse_events(Box::pin(res.bytes_stream()))
    }
}
