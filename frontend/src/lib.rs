#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Pages are lazy routes (app/src/lazy_pages.rs), so hydration waits for the shown page's
    // chunk; `data-hydrated` on <body> says when it is done (the browser tests wait for it).
    _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let body = leptos::prelude::document().body();
        if let Some(body) = body {
            let owner = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
            owner.forget();
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
