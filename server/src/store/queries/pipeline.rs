//! Pipeline: the deal table, the Kanban board and the stage totals.

use super::*;

/// The filters Pipeline's board and table share: tracked, owner, source, band, search.
fn deal_filters(ws: &WorkspaceInfo, query: &ListQuery) -> Result<Sql> {
    let mut from = Sql::new(&format!("{DEAL_FROM} WHERE d.workspace_id = "));
    from.arg(ws.id);
    if !query.shows_untracked() {
        from.push(" AND a.tracked = TRUE");
    }
    // One CRM of record: the other's deals stay out (manual and routed ones always show).
    match ws.pipeline_source.as_str() {
        "salesbricks" => {
            from.push(" AND d.source <> 'attio'");
        }
        "attio" => {
            from.push(" AND d.source <> 'salesbricks'");
        }
        _ => {}
    }
    match query.owner.trim() {
        "" => {}
        "none" => {
            from.push(" AND a.owner_name IS NULL");
        }
        owner => {
            from.push(" AND a.owner_name = ").arg(owner.to_string());
        }
    }
    if let Some(source) = DealSource::parse(query.source.trim()) {
        from.push(" AND d.source = ").arg(source.as_str());
    }
    match query.band.as_str() {
        "red" | "amber" | "green" => {
            from.push(" AND hs.band = ").arg(query.band.as_str());
        }
        "at_risk" => {
            from.push(" AND hs.band IN ('red', 'amber')");
        }
        _ => {}
    }
    if let Some(pattern) = search(query)? {
        from.push(" AND (LOWER(a.name) LIKE ")
            .arg(pattern.clone())
            .push(" ESCAPE '\\' OR LOWER(d.name) LIKE ")
            .arg(pattern)
            .push(" ESCAPE '\\')");
    }
    Ok(from)
}

impl Store {
    /// The stages with the count and amount of the deals the filters select.
    async fn stage_totals(&self, ws: &WorkspaceInfo, filters: &Sql) -> Result<Vec<StageSummary>> {
        let totals = Sql {
            text: format!(
                "SELECT d.stage, CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(d.amount_minor), 0) AS BIGINT) AS amount \
                 {} GROUP BY d.stage",
                filters.text
            ),
            args: filters.args.clone(),
        };
        let mut by_stage = std::collections::HashMap::new();
        for r in totals.query().fetch_all(self.pool()).await? {
            by_stage.insert(r.text("stage")?, (r.int("n")?, r.int("amount")?));
        }
        sqlx::query("SELECT key, label, outcome FROM pipeline_stages WHERE workspace_id = $1 ORDER BY position")
            .bind(ws.id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                let key = r.text("key")?;
                let (n, amount) = by_stage.get(&key).copied().unwrap_or((0, 0));
                Ok(StageSummary {
                    key,
                    label: r.text("label")?,
                    outcome: r.parsed("outcome", StageOutcome::parse)?,
                    deals: count(n),
                    amount: Money::new(amount, ws.currency.clone()),
                })
            })
            .collect()
    }

    /// Every stage with the count and amount of its deals (the office screen's pipeline panel).
    pub async fn pipeline_totals(&self, ws: &WorkspaceInfo) -> Result<Vec<StageSummary>> {
        self.stage_totals(ws, &deal_filters(ws, &ListQuery::default())?).await
    }

    pub async fn pipeline(&self, ws: &WorkspaceInfo, query: &ListQuery) -> Result<PipelineView> {
        let filters = deal_filters(ws, query)?;
        let stages = self.stage_totals(ws, &filters).await?;
        let mut from = filters;
        if stages.iter().any(|s| s.key == query.filter) {
            from.push(" AND d.stage = ").arg(query.filter.as_str());
        }
        let total = total(self, &from).await?;
        let order = match query.sort.as_str() {
            "name" => "d.name ASC, d.id ASC",
            "account" => "a.name ASC, d.id ASC",
            "close" => "d.expected_close ASC NULLS LAST, d.id ASC",
            "health" => "hs.score ASC NULLS LAST, d.id ASC",
            _ => "ps.position ASC, d.amount_minor DESC, d.id ASC",
        };
        let mut sql = Sql {
            text: format!("SELECT {DEAL_COLUMNS} {} ORDER BY {order}", from.text),
            args: from.args,
        };
        paginate(&mut sql, query);
        let rows = sql.query().fetch_all(self.pool()).await?;
        Ok(PipelineView {
            stages,
            deals: page(rows.iter().map(deal_row).collect::<Result<_>>()?, total, query),
            owners: self.owners(ws.id).await?,
        })
    }

    /// The Kanban: every stage with its totals and its first cards in their order.
    pub async fn pipeline_board(&self, ws: &WorkspaceInfo, query: &ListQuery) -> Result<KanbanBoard> {
        let filters = deal_filters(ws, query)?;
        let stages = self.stage_totals(ws, &filters).await?;
        let mut sql = Sql {
            text: format!(
                "SELECT * FROM (SELECT {DEAL_COLUMNS}, \
                   ROW_NUMBER() OVER (PARTITION BY d.stage ORDER BY d.position, d.id) AS place {}) x \
                 WHERE x.place <= ",
                filters.text
            ),
            args: filters.args,
        };
        sql.arg(BOARD_COLUMN_CARDS as i64).push(" ORDER BY x.position, x.id");
        let mut cards: std::collections::HashMap<String, Vec<DealRow>> = std::collections::HashMap::new();
        for r in sql.query().fetch_all(self.pool()).await? {
            let deal = deal_row(&r)?;
            cards.entry(deal.stage.clone()).or_default().push(deal);
        }
        Ok(KanbanBoard {
            columns: stages
                .into_iter()
                .map(|stage| BoardColumn {
                    cards: cards.remove(&stage.key).unwrap_or_default(),
                    stage,
                })
                .collect(),
            owners: self.owners(ws.id).await?,
        })
    }
}
