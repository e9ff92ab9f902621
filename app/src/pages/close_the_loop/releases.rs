//! The Themes and Releases views.

use super::*;

#[component]
pub(super) fn ThemesTable(themes: Vec<ThemeRow>) -> impl IntoView {
    view! {
        <Table class="data-table" attr:data-testid="themes-table">
            <TableHeader>
                <TableRow>
                    <TableHeaderCell>"Theme"</TableHeaderCell>
                    <TableHeaderCell>"Project"</TableHeaderCell>
                    <TableHeaderCell>"Accounts"</TableHeaderCell>
                    <TableHeaderCell>"Requests"</TableHeaderCell>
                    <TableHeaderCell>"ARR asking"</TableHeaderCell>
                    <TableHeaderCell>"Status"</TableHeaderCell>
                </TableRow>
            </TableHeader>
            <TableBody>
                {themes.into_iter().map(|t| {
                    let q = ListQuery {
                        q: t.label.chars().take(60).collect(),
                        ..Default::default()
                    };
                    view! {
                        <TableRow>
                            <TableCell class="quote"><A href=crate::url::list_href(PATH, &q)>{format!("“{}”", t.label)}</A></TableCell>
                            <TableCell>{t.project.clone()}</TableCell>
                            <TableCell>{t.accounts}</TableCell>
                            <TableCell>{t.requests}</TableCell>
                            <TableCell>{t.arr.display()}</TableCell>
                            <TableCell>{if t.shipped {
                                view! { <Badge appearance=BadgeAppearance::Tint color=BadgeColor::Success>"Shipped"</Badge> }.into_any()
                            } else {
                                view! { <span class="muted">"Not yet"</span> }.into_any()
                            }}</TableCell>
                        </TableRow>
                    }
                }).collect_view()}
            </TableBody>
        </Table>
    }
}

#[component]
pub(super) fn ReleaseList(releases: Vec<ReleaseRow>) -> impl IntoView {
    view! {
        <ul class="release-list" data-testid="release-list">
            {releases.is_empty().then(|| view! { <Empty message="No releases yet: connect GitHub releases or a changelog feed in Settings." /> })}
            {releases.into_iter().map(|r| view! {
                <li>
                    <div class="release-head">
                        <Badge appearance=BadgeAppearance::Tint color=BadgeColor::Success>{r.source.label()}</Badge>
                        {match r.url.as_deref().and_then(crate::url::safe_href) {
                            Some(url) => view! { <a href=url target="_blank" rel="noopener"><strong>{r.title.clone()}</strong></a> }.into_any(),
                            None => view! { <strong>{r.title.clone()}</strong> }.into_any(),
                        }}
                        <span class="muted">{fmt_date(Some(r.published_on))}</span>
                    </div>
                    <ul class="release-items">
                        {r.items.into_iter().map(|i| view! { <li>{i}</li> }).collect_view()}
                    </ul>
                </li>
            }).collect_view()}
        </ul>
    }
}
