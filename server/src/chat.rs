//! `/api/chat`: answers one question about one account as server-sent events — `token` events
//! with the text as it is written, then `done` with the whole answer and its citations.

use crate::llm;
use crate::service::{ChatContext, Data};
use app::chat::{answer, citations_in, model_prompt, ChatAnswer};
use axum::response::sse::{Event, Sse};
use futures::{Stream, StreamExt};
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::mpsc;

fn token(text: &str) -> Event {
    Event::default()
        .event("token")
        .data(serde_json::to_string(text).unwrap_or_default())
}

fn done(answer: &ChatAnswer) -> Event {
    Event::default()
        .event("done")
        .data(serde_json::to_string(answer).unwrap_or_default())
}

/// Answers with the configured model (falling back to the built-in answer when it cannot be
/// reached) or with the built-in answerer.
pub fn respond(service: Arc<Data>, ctx: ChatContext) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (tx, rx) = mpsc::channel::<Event>(64);
    tokio::spawn(async move {
        let builtin = || answer(&ctx.question, &ctx.facts);
        let Some(config) = service.llm.clone() else {
            let a = builtin();
            let _ = tx.send(token(&a.text)).await;
            let _ = tx.send(done(&a)).await;
            return;
        };
        let prompt = model_prompt(&ctx.account_name, &ctx.facts);
        match llm::stream_answer(&service.operator_http, &config, &prompt, &ctx.question).await {
            Ok(stream) => {
                let mut stream = std::pin::pin!(stream);
                let mut text = String::new();
                while let Some(piece) = stream.next().await {
                    match piece {
                        Ok(piece) => {
                            text.push_str(&piece);
                            if tx.send(token(&piece)).await.is_err() {
                                return; // the browser went away
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "chat model stream broke");
                            let note = format!("\n\n(The answer was cut off: {e}.)");
                            text.push_str(&note);
                            let _ = tx.send(token(&note)).await;
                            break;
                        }
                    }
                }
                let a = ChatAnswer {
                    citations: citations_in(&text, &ctx.facts),
                    text,
                    answered: true,
                    by: config.model.clone(),
                };
                let _ = tx.send(done(&a)).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "chat model unavailable; answering built-in");
                let mut a = builtin();
                a.text = format!("({e}; this is the built-in answer.)\n\n{}", a.text);
                let _ = tx.send(token(&a.text)).await;
                let _ = tx.send(done(&a)).await;
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) });
    Sse::new(stream)
}
