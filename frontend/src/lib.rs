#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Pages are lazy routes (app/src/lazy_pages.rs): hydration waits for the shown page's chunk.
    leptos::mount::hydrate_lazy(app::App);
}
