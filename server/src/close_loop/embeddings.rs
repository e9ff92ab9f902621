//! Embedding similarity for Close the Loop, when an OpenAI-compatible `/embeddings` endpoint is
//! configured (`SUCCESS_EMBEDDINGS_URL`, `SUCCESS_EMBEDDINGS_MODEL`, `SUCCESS_EMBEDDINGS_KEY`).
//! Each distinct text is embedded once per model and kept in `text_embeddings`, so a refresh only
//! sends what is new. When the endpoint fails, matching carries on with BM25 alone.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct EmbeddingsConfig {
    /// The API base (`https://api.openai.com/v1`) or the full `/embeddings` URL.
    pub url: String,
    pub model: String,
    pub key: Option<String>,
}

impl EmbeddingsConfig {
    fn endpoint(&self) -> String {
        let base = self.url.trim_end_matches('/');
        if base.ends_with("/embeddings") {
            base.to_string()
        } else {
            format!("{base}/embeddings")
        }
    }
}

/// What a text is stored under: its SHA-256, hex.
pub fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.trim().as_bytes()))
}

/// Asks the endpoint for the vectors of `texts`, 64 at a time, in order.
pub async fn embed(http: &reqwest::Client, config: &EmbeddingsConfig, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(64) {
        let mut request = http
            .post(config.endpoint())
            .timeout(Duration::from_secs(60))
            .json(&serde_json::json!({ "model": config.model, "input": chunk }));
        if let Some(key) = &config.key {
            request = request.bearer_auth(key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("the embeddings endpoint could not be reached: {e}"))?;
        let status = response.status();
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| format!("the embeddings endpoint answered {status} with no JSON: {e}"))?;
        if !status.is_success() {
            let message = body["error"]["message"].as_str().unwrap_or("no message");
            return Err(format!("the embeddings endpoint answered {status}: {message}"));
        }
        let mut data: Vec<(usize, Vec<f32>)> = body["data"]
            .as_array()
            .ok_or("the embeddings answer has no data")?
            .iter()
            .map(|d| {
                let index = d["index"].as_u64().ok_or("an embedding without index")? as usize;
                let vector = d["embedding"]
                    .as_array()
                    .ok_or("an embedding without vector")?
                    .iter()
                    .map(|x| x.as_f64().map(|x| x as f32).ok_or("a vector with a non-number"))
                    .collect::<Result<Vec<f32>, _>>()?;
                Ok((index, vector))
            })
            .collect::<Result<_, &str>>()?;
        data.sort_by_key(|(i, _)| *i);
        if data.len() != chunk.len() || data.iter().enumerate().any(|(i, (j, _))| i != *j) {
            return Err(format!(
                "the embeddings endpoint returned {} vectors for {} texts",
                data.len(),
                chunk.len()
            ));
        }
        out.extend(data.into_iter().map(|(_, v)| v));
    }
    Ok(out)
}

pub fn cosine(a: &[f32], b: &[f32]) -> f64 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        let (x, y) = (*x as f64, *y as f64);
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na.sqrt() * nb.sqrt())
    }
}

pub fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn from_bytes(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Vectors by text digest.
pub type Vectors = HashMap<String, Vec<f32>>;
