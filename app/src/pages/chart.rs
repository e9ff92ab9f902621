//! Bar charts drawn by ECharts in the browser (charming's WasmRenderer). The server renders the
//! container and an accessible table fallback; the chart appears after hydration.

use leptos::prelude::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub display: String,
    pub color: &'static str,
}

#[component]
pub fn BarChart(
    id: &'static str,
    title: &'static str,
    bars: Vec<Bar>,
    #[prop(default = 260)] height: u32,
) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        let bars = bars.clone();
        Effect::new(move |_| draw(id, height, &bars));
    }
    view! {
        <figure class="chart">
            <figcaption>{title}</figcaption>
            <div id=id class="chart-canvas" style=format!("height:{height}px") data-testid=id></div>
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

#[cfg(feature = "hydrate")]
fn draw(id: &str, height: u32, bars: &[Bar]) {
    use charming::{
        component::{Axis, Grid},
        datatype::{DataPoint, DataPointItem},
        element::{AxisType, ItemStyle, Tooltip, Trigger},
        series::Bar as BarSeries,
        Chart, WasmRenderer,
    };
    let width = leptos::prelude::document()
        .get_element_by_id(id)
        .map(|el| el.client_width().max(320) as u32)
        .unwrap_or(640);
    let data: Vec<DataPoint> = bars
        .iter()
        .map(|b| {
            DataPointItem::new(b.value)
                .item_style(ItemStyle::new().color(b.color))
                .into()
        })
        .collect();
    let chart = Chart::new()
        .grid(Grid::new().left(64).right(16).top(16).bottom(32))
        .tooltip(Tooltip::new().trigger(Trigger::Axis))
        .x_axis(
            Axis::new()
                .type_(AxisType::Category)
                .data(bars.iter().map(|b| b.label.clone()).collect()),
        )
        .y_axis(Axis::new().type_(AxisType::Value))
        .series(BarSeries::new().data(data));
    if let Err(err) = WasmRenderer::new(width, height).render(id, &chart) {
        leptos::logging::warn!("chart {id} could not render: {err:?}");
    }
}
