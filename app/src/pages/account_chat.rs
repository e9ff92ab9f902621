//! The floating chat on a customer page: questions about this account, answered from its own
//! facts (built in, or by the configured model) with every fact cited and linked.

use crate::chat::{check_question, Citation};
use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
struct Message {
    from_person: bool,
    text: String,
    citations: Vec<Citation>,
    pending: bool,
    by: String,
}

#[component]
pub fn AccountChat(account_id: i64) -> impl IntoView {
    let open = RwSignal::new(false);
    let messages = RwSignal::new(Vec::<Message>::new());
    let draft = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let send = move || {
        if busy.get_untracked() {
            return;
        }
        let question = match check_question(&draft.get_untracked()) {
            Ok(q) => q,
            Err(e) => return error.set(Some(e)),
        };
        error.set(None);
        draft.set(String::new());
        messages.update(|m| {
            m.push(Message {
                from_person: true,
                text: question.clone(),
                citations: vec![],
                pending: false,
                by: String::new(),
            });
            m.push(Message {
                from_person: false,
                text: String::new(),
                citations: vec![],
                pending: true,
                by: String::new(),
            });
        });
        busy.set(true);
        #[cfg(feature = "hydrate")]
        stream::ask(account_id, &question, messages, busy, error);
        #[cfg(not(feature = "hydrate"))]
        let _ = (account_id, question);
    };
    let numbered = move || messages.get().into_iter().enumerate().collect::<Vec<_>>();
    let suggestions = [
        "Why is this account at risk?",
        "When does it renew?",
        "Any payment problems?",
        "Who are the contacts?",
    ];
    view! {
        <button class="chat-fab" type="button" data-testid="chat-open" aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)>
            {move || if open.get() { "Close chat" } else { "Ask about this account" }}
        </button>
        <Show when=move || open.get()>
            <aside class="chat-panel" role="dialog" aria-label="Questions about this account" data-testid="chat-panel">
                <header class="chat-head">
                    <strong>"Ask about this account"</strong>
                    <span class="muted">"Answers come from this account's data only, with sources."</span>
                </header>
                <div class="chat-log" aria-live="polite">
                    {move || messages.with(|m| m.is_empty()).then(|| view! {
                        <div class="chat-suggestions">
                            {suggestions.into_iter().map(|s| view! {
                                <button type="button" class="chip" on:click=move |_| { draft.set(s.to_string()); send(); }>{s}</button>
                            }).collect_view()}
                        </div>
                    })}
                    <For each=numbered
                        key=|(i, m)| (*i, m.text.len(), m.pending)
                        children=move |(_, m)| view! { <ChatMessage message=m /> } />
                </div>
                <form class="chat-form" on:submit=move |ev| { ev.prevent_default(); send(); }>
                    <input type="text" class="chat-input" placeholder="e.g. Why is this account critical?"
                        aria-label="Your question" data-testid="chat-input" maxlength=crate::chat::QUESTION_MAX.to_string()
                        prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev)) />
                    <button type="submit" class="chat-send" disabled=move || busy.get() data-testid="chat-send">"Ask"</button>
                </form>
                {move || error.get().map(|e| view! { <div class="field-error" role="alert">{e}</div> })}
            </aside>
        </Show>
    }
}

/// A source's first words; the whole fact is in the tooltip and at the link.
fn short(text: &str) -> String {
    const MAX: usize = 70;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(MAX).collect::<String>().trim_end())
    }
}

#[component]
fn ChatMessage(message: Message) -> impl IntoView {
    let class = if message.from_person {
        "chat-msg chat-person"
    } else {
        "chat-msg chat-answer"
    };
    view! {
        <div class=class data-testid=if message.from_person { "chat-question" } else { "chat-answer" }>
            <div class="chat-text">
                {if message.pending && message.text.is_empty() { "Thinking…".to_string() } else { message.text.clone() }}
            </div>
            {(!message.citations.is_empty()).then(|| view! {
                <ol class="chat-sources" aria-label="Sources">
                    {message.citations.iter().map(|c| view! {
                        <li title=c.text.clone()><a href=crate::url::safe_href(&c.href).unwrap_or_default()>{format!("[{}]", c.id)}</a>" "{short(&c.text)}</li>
                    }).collect_view()}
                </ol>
            })}
            {(!message.from_person && !message.pending && !message.by.is_empty()).then(|| view! {
                <div class="chat-by muted">{format!("Answered by {}", message.by)}</div>
            })}
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod stream {
    use super::*;
    use crate::chat::ChatAnswer;
    use wasm_bindgen::prelude::*;

    fn update_last(messages: RwSignal<Vec<Message>>, f: impl FnOnce(&mut Message)) {
        messages.update(|m| {
            if let Some(last) = m.last_mut() {
                f(last);
            }
        });
    }

    /// Streams one answer over `/api/chat` and writes it into the last message as it arrives.
    pub fn ask(
        account_id: i64,
        question: &str,
        messages: RwSignal<Vec<Message>>,
        busy: RwSignal<bool>,
        error: RwSignal<Option<String>>,
    ) {
        let url = format!(
            "/api/chat?account_id={account_id}&q={}",
            crate::url::encode_component(question)
        );
        let Ok(source) = web_sys::EventSource::new(&url) else {
            busy.set(false);
            error.set(Some("Your browser could not open the answer stream.".into()));
            return;
        };
        let on_token = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            if let Some(piece) = ev
                .data()
                .as_string()
                .and_then(|d| serde_json::from_str::<String>(&d).ok())
            {
                update_last(messages, |m| m.text.push_str(&piece));
            }
        });
        let done_source = source.clone();
        let on_done = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
            done_source.close();
            busy.set(false);
            if let Some(answer) = ev
                .data()
                .as_string()
                .and_then(|d| serde_json::from_str::<ChatAnswer>(&d).ok())
            {
                update_last(messages, |m| {
                    m.text = answer.text;
                    m.citations = answer.citations;
                    m.by = answer.by;
                    m.pending = false;
                });
            }
        });
        let error_source = source.clone();
        let on_error = Closure::<dyn FnMut()>::new(move || {
            // The stream closes after `done`; only an unfinished answer is an error.
            error_source.close();
            if busy.get_untracked() {
                busy.set(false);
                update_last(messages, |m| {
                    m.pending = false;
                    if m.text.is_empty() {
                        m.text = "No answer: the server could not be reached, or you were signed out.".into();
                    }
                });
            }
        });
        let _ = source.add_event_listener_with_callback("token", on_token.as_ref().unchecked_ref());
        let _ = source.add_event_listener_with_callback("done", on_done.as_ref().unchecked_ref());
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // One question's listeners live as long as the page; they are small.
        on_token.forget();
        on_done.forget();
        on_error.forget();
    }
}
