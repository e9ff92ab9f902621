//! Contracts: revenue sources, their CSV export and invoices.

use super::*;

const ARR_STATUSES: &str = "('active', 'past_due', 'unpaid')";

impl Store {
    /// Revenue sources the Contracts filters select (shared by the page and its CSV export).
    fn contracts_from(ws: &WorkspaceInfo, query: &ListQuery, today: NaiveDate) -> Result<Sql> {
        let mut from =
            Sql::new("FROM revenue_sources r JOIN accounts a ON a.id = r.account_id WHERE r.workspace_id = ");
        from.arg(ws.id);
        if !query.shows_untracked() {
            from.push(" AND a.tracked = TRUE");
        }
        if let "salesbricks" | "stripe" = query.filter.as_str() {
            from.push(" AND r.source = ").arg(query.filter.as_str());
        }
        if let Some(days) = match query.renewal.as_str() {
            "30" => Some(30),
            "60" => Some(60),
            "90" => Some(90),
            _ => None,
        } {
            from.push(&format!(" AND r.status IN {ARR_STATUSES} AND r.renewal_date >= "))
                .arg(today)
                .push(" AND r.renewal_date <= ")
                .arg(today + Duration::days(days));
        }
        match query.payment.as_str() {
            "" => {}
            "problem" => {
                from.push(" AND r.payment_state IN ('past_due', 'failed')");
            }
            state => {
                let state = PaymentState::parse(state)
                    .ok_or_else(|| StoreError::Invalid(format!("There is no payment state called {state:?}.")))?;
                from.push(" AND r.payment_state = ").arg(state.as_str());
            }
        }
        match query.owner.as_str() {
            "" => {}
            "none" => {
                from.push(" AND a.owner_name IS NULL");
            }
            owner => {
                from.push(" AND a.owner_name = ").arg(owner);
            }
        }
        if let Some(pattern) = search(query)? {
            from.push(" AND (LOWER(a.name) LIKE ")
                .arg(pattern.clone())
                .push(" ESCAPE '\\' OR LOWER(r.plan) LIKE ")
                .arg(pattern)
                .push(" ESCAPE '\\')");
        }
        Ok(from)
    }

    fn contracts_order(query: &ListQuery) -> &'static str {
        match query.sort.as_str() {
            "name" => "a.name ASC, r.id ASC",
            "mrr" => "r.mrr_minor DESC, r.id ASC",
            _ => "r.renewal_date ASC NULLS LAST, r.id ASC",
        }
    }

    pub async fn contracts(&self, ws: &WorkspaceInfo, query: &ListQuery, today: NaiveDate) -> Result<ContractsView> {
        let from = Self::contracts_from(ws, query, today)?;
        let totals = Sql {
            text: format!(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n, CAST(COALESCE(SUM(CASE WHEN r.counted AND r.status IN {ARR_STATUSES} \
                 THEN r.mrr_minor ELSE 0 END), 0) AS BIGINT) AS mrr {}",
                from.text
            ),
            args: from.args.clone(),
        }
        .query()
        .fetch_one(self.pool())
        .await?;
        let mrr = totals.int("mrr")?;
        let mut sql = Sql {
            text: format!(
                "SELECT {REVENUE_SOURCE_COLUMNS} {} ORDER BY {}",
                from.text,
                Self::contracts_order(query)
            ),
            args: from.args,
        };
        paginate(&mut sql, query);
        let rows = sql.query().fetch_all(self.pool()).await?;
        Ok(ContractsView {
            rows: page(
                rows.iter()
                    .map(|r| revenue_source_row(r, today))
                    .collect::<Result<_>>()?,
                totals.int("n")?,
                query,
            ),
            mrr_total: Money::new(mrr, ws.currency.clone()),
            arr_total: Money::new(mrr * 12, ws.currency.clone()),
            owners: self.owners(ws.id).await?,
        })
    }

    /// Every revenue source the Contracts filters select, in the page's order (the CSV export).
    pub async fn contracts_export(
        &self,
        ws: &WorkspaceInfo,
        query: &ListQuery,
        today: NaiveDate,
    ) -> Result<Vec<RevenueSourceRow>> {
        let from = Self::contracts_from(ws, query, today)?;
        let sql = Sql {
            text: format!(
                "SELECT {REVENUE_SOURCE_COLUMNS} {} ORDER BY {} LIMIT 100000",
                from.text,
                Self::contracts_order(query)
            ),
            args: from.args,
        };
        sql.query()
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| revenue_source_row(r, today))
            .collect()
    }

    /// One revenue source's invoices, newest first: the Contracts drawer.
    pub async fn contract_invoices(&self, ws: i64, revenue_source_id: i64) -> Result<Vec<InvoiceRow>> {
        let exists = sqlx::query("SELECT id FROM revenue_sources WHERE id = $1 AND workspace_id = $2")
            .bind(revenue_source_id)
            .bind(ws)
            .fetch_optional(self.pool())
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound("Contract"));
        }
        sqlx::query(
            "SELECT id, external_id, status, currency, amount_due_minor, amount_remaining_minor, attempt_count, issued_on, \
             due_on, paid_at FROM invoices WHERE revenue_source_id = $1 AND workspace_id = $2 ORDER BY issued_on DESC, id DESC",
        )
        .bind(revenue_source_id)
        .bind(ws)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(invoice_row)
        .collect()
    }
}
