//! An OpenAI-compatible chat model, when one is configured (`SUCCESS_LLM_URL`, `SUCCESS_LLM_MODEL`,
//! `SUCCESS_LLM_KEY`). Answers stream back token by token; the prompt holds one account's facts.

use futures::{Stream, StreamExt};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct LlmConfig {
    /// The API base (`https://api.openai.com/v1`) or the full `/chat/completions` URL.
    pub url: String,
    pub model: String,
    pub key: Option<String>,
}

impl LlmConfig {
    fn endpoint(&self) -> String {
        let base = self.url.trim_end_matches('/');
        if base.ends_with("/chat/completions") {
            base.to_string()
        } else {
            format!("{base}/chat/completions")
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the language model could not be reached: {0}")]
    Unreachable(String),
    #[error("the language model refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the language model's answer was cut off: {0}")]
    Broken(String),
}

/// Sends the question with the system prompt; yields the answer's text as it arrives.
pub async fn stream_answer(
    client: &reqwest::Client,
    config: &LlmConfig,
    system: &str,
    question: &str,
) -> Result<impl Stream<Item = Result<String, LlmError>>, LlmError> {
    let body = serde_json::json!({
        "model": config.model,
        "stream": true,
        "temperature": 0.2,
        "messages": [
            { "role": "system", "content": system },
            { "role": "user", "content": question },
        ],
    });
    let mut req = client
        .post(config.endpoint())
        .timeout(Duration::from_secs(120))
        .json(&body);
    if let Some(key) = &config.key {
        req = req.bearer_auth(key);
    }
    let res = req.send().await.map_err(|e| LlmError::Unreachable(e.to_string()))?;
    let status = res.status();
    if !status.is_success() {
        let text = res.text().await.unwrap_or_default();
        // OpenAI-style errors carry {"error": {"message": …}}.
        let message = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
            .unwrap_or_else(|| text.chars().take(300).collect());
        return Err(LlmError::Refused {
            status: status.as_u16(),
            message,
        });
    }
    let bytes = res.bytes_stream();
    Ok(futures::stream::unfold(
        (bytes, Vec::<u8>::new(), false),
        |(mut bytes, mut buffer, mut ended)| async move {
            loop {
                // Whole lines first ('\n' never splits a UTF-8 character).
                if let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buffer.drain(..=end).collect();
                    match parse_line(&String::from_utf8_lossy(&line)) {
                        Line::Skip => continue,
                        Line::Done => return None,
                        Line::Token(t) => return Some((t, (bytes, buffer, ended))),
                    }
                }
                if ended {
                    // A last line without a newline, then the end.
                    if buffer.is_empty() {
                        return None;
                    }
                    let rest = std::mem::take(&mut buffer);
                    return match parse_line(&String::from_utf8_lossy(&rest)) {
                        Line::Token(t) => Some((t, (bytes, buffer, ended))),
                        _ => None,
                    };
                }
                match bytes.next().await {
                    Some(Ok(chunk)) => buffer.extend_from_slice(&chunk),
                    Some(Err(e)) => {
                        buffer.clear();
                        return Some((Err(LlmError::Broken(e.to_string())), (bytes, buffer, true)));
                    }
                    None => ended = true,
                }
            }
        },
    ))
}

enum Line {
    Skip,
    Done,
    Token(Result<String, LlmError>),
}

/// One line of the model's event stream: `data: {json chunk}`, `data: [DONE]`, or anything else.
fn parse_line(line: &str) -> Line {
    let Some(data) = line.trim().strip_prefix("data:") else {
        return Line::Skip;
    };
    let data = data.trim();
    if data == "[DONE]" {
        return Line::Done;
    }
    match serde_json::from_str::<serde_json::Value>(data) {
        Ok(v) => match v["choices"][0]["delta"]["content"].as_str() {
            Some(t) if !t.is_empty() => Line::Token(Ok(t.to_string())),
            _ => Line::Skip,
        },
        Err(e) => Line::Token(Err(LlmError::Broken(e.to_string()))),
    }
}
