//! Bar charts drawn by ECharts in the browser (charming's WasmRenderer). The server renders the
//! container and an accessible table fallback; the chart appears after hydration. ECharts (1 MB)
//! is fetched only when a page first draws a chart, from our own `public/` folder.

use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub display: String,
    pub color: &'static str,
    /// Where a click on this bar leads (a filtered list), if anywhere.
    pub href: Option<String>,
}

/// Room for the value axis labels ("1,000,000") left of the bars, and a margin on the right.
const GRID_LEFT: i32 = 84;
const GRID_RIGHT: i32 = 16;

#[component]
pub fn BarChart(
    id: &'static str,
    title: &'static str,
    bars: Vec<Bar>,
    /// Pixels; 0 leaves it to the stylesheet.
    #[prop(default = 260)]
    height: u32,
    /// Light axis labels that grow with the screen, for the office screen's dark background.
    #[prop(default = false)]
    dark: bool,
) -> impl IntoView {
    #[cfg(not(feature = "hydrate"))]
    let _ = dark;
    #[cfg(feature = "hydrate")]
    {
        let bars = bars.clone();
        // After a client-side navigation the view is built before it is in the document; draw
        // on the next frame, and retry briefly until the container is there.
        Effect::new(move |_| {
            let bars = bars.clone();
            // Up to 30 s: the first chart waits for ECharts to download.
            request_animation_frame(move || draw_when_mounted(id, height, dark, bars, 600));
        });
    }
    let hrefs: Vec<Option<String>> = bars.iter().map(|b| b.href.clone()).collect();
    let clickable = hrefs.iter().any(Option::is_some);
    let navigate = leptos_router::hooks::use_navigate();
    // Bars are evenly spaced categories inside the grid (GRID_LEFT px left, GRID_RIGHT px right),
    // so the click's position says which bar it hit.
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let width = {
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::JsCast;
                ev.current_target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .map(|el| el.client_width() as f64)
                    .unwrap_or(0.0)
            }
            #[cfg(not(feature = "hydrate"))]
            {
                0.0
            }
        };
        let inner = width - (GRID_LEFT + GRID_RIGHT) as f64;
        if inner <= 0.0 || hrefs.is_empty() {
            return;
        }
        let i = ((ev.offset_x() as f64 - GRID_LEFT as f64) / (inner / hrefs.len() as f64)).floor();
        if i >= 0.0 {
            if let Some(Some(href)) = hrefs.get(i as usize) {
                navigate(href, Default::default());
            }
        }
    };
    view! {
        <figure class="chart">
            <figcaption>{title}</figcaption>
            <div id=id class=if clickable { "chart-canvas chart-clickable" } else { "chart-canvas" }
                style=(height > 0).then(|| format!("height:{height}px")) data-testid=id on:click=on_click></div>
            <table class="visually-hidden">
                <tbody>
                    {bars
                        .into_iter()
                        .map(|b| view! { <tr><th>{b.label}</th><td>{b.display}</td></tr> })
                        .collect_view()}
                </tbody>
            </table>
        </figure>
    }
}

/// Whether ECharts is there to draw with; if not, its script is added to the page (once).
#[cfg(feature = "hydrate")]
fn echarts_ready() -> bool {
    let window = window();
    if js_sys::Reflect::has(&window, &"echarts".into()).unwrap_or(false) {
        return true;
    }
    let document = document();
    if document.get_element_by_id("echarts-script").is_none() {
        if let (Ok(script), Some(head)) = (document.create_element("script"), document.head()) {
            script.set_id("echarts-script");
            let _ = script.set_attribute("src", "/echarts.min.js");
            let _ = head.append_child(&script);
        }
    }
    false
}

#[cfg(feature = "hydrate")]
fn draw_when_mounted(id: &'static str, height: u32, dark: bool, bars: Vec<Bar>, tries: u32) {
    if document().get_element_by_id(id).is_some() && echarts_ready() {
        draw(id, height, dark, &bars);
    } else if tries > 0 {
        set_timeout(
            move || draw_when_mounted(id, height, dark, bars, tries - 1),
            std::time::Duration::from_millis(50),
        );
    }
}

#[cfg(feature = "hydrate")]
fn draw(id: &str, height: u32, dark: bool, bars: &[Bar]) {
    use charming::{
        component::{Axis, Grid},
        datatype::{DataPoint, DataPointItem},
        element::{AxisLabel, AxisType, ItemStyle, Tooltip, Trigger},
        series::Bar as BarSeries,
        Chart, WasmRenderer,
    };
    let element = leptos::prelude::document().get_element_by_id(id);
    let width = element
        .as_ref()
        .map(|el| el.client_width().max(320) as u32)
        .unwrap_or(640);
    // Height 0: as tall as the stylesheet makes the container (the office screen scales with it).
    let height = match height {
        0 => element
            .as_ref()
            .map(|el| el.client_height().max(200) as u32)
            .unwrap_or(400),
        h => h,
    };
    // On the wall, labels grow with the screen: 16 px at 1080p, 36 px at 4K.
    let font = if dark { (width / 60).clamp(14, 36) } else { 12 };
    let data: Vec<DataPoint> = bars
        .iter()
        .map(|b| {
            DataPointItem::new(b.value)
                .item_style(ItemStyle::new().color(b.color))
                .into()
        })
        .collect();
    let label = AxisLabel::new()
        .color(if dark { "#cbd5e1" } else { "#6e7079" })
        .font_size(font as f64);
    let chart = Chart::new()
        .grid(
            Grid::new()
                .left(if dark { font as i32 * 6 } else { GRID_LEFT })
                .right(GRID_RIGHT)
                .top(16)
                .bottom(if dark { font as i32 * 2 + 8 } else { 32 }),
        )
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(
            Axis::new()
                .type_(AxisType::Category)
                .axis_label(label.clone())
                .data(bars.iter().map(|b| b.label.clone()).collect()),
        )
        .y_axis(Axis::new().type_(AxisType::Value).axis_label(label))
        .series(BarSeries::new().data(data));
    if let Err(err) = WasmRenderer::new(width, height).render(id, &chart) {
        leptos::logging::warn!("chart {id} could not render: {err:?}");
    }
}
