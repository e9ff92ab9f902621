//! Health: the summary cards and the account queue.

use super::*;

/// The band an account counts in: the override while it applies, else the computed one.
const EFFECTIVE_BAND: &str = "COALESCE(ho.band, a.health_band)";

fn add_months(d: NaiveDate, months: u32) -> NaiveDate {
    d.checked_add_months(chrono::Months::new(months)).unwrap_or(d)
}

impl Store {
    pub async fn health_summary(&self, ws: &WorkspaceInfo, today: NaiveDate) -> Result<HealthSummary> {
        let mut sql = Sql::new(
            "SELECT \
               CAST(COALESCE(SUM(CASE WHEN tracked THEN 1 ELSE 0 END), 0) AS BIGINT) AS tracked_n, \
               CAST(COALESCE(SUM(CASE WHEN tracked AND lifecycle <> 'churned' THEN 1 ELSE 0 END), 0) AS BIGINT) AS active_n, \
               CAST(COALESCE(SUM(CASE WHEN tracked THEN 0 ELSE 1 END), 0) AS BIGINT) AS untracked_n, \
               CAST(COALESCE(SUM(CASE WHEN tracked THEN arr_minor ELSE 0 END), 0) AS BIGINT) AS arr, \
               CAST(COALESCE(SUM(CASE WHEN tracked AND renewal_date >= ",
        );
        let t = day(today);
        sql.arg(t.clone())
            .push(" AND renewal_date <= ")
            .arg(day(today + Duration::days(30)));
        sql.push(" THEN 1 ELSE 0 END), 0) AS BIGINT) AS r30, CAST(COALESCE(SUM(CASE WHEN tracked AND renewal_date >= $1 AND renewal_date <= ")
            .arg(day(today + Duration::days(60)));
        sql.push(" THEN 1 ELSE 0 END), 0) AS BIGINT) AS r60, CAST(COALESCE(SUM(CASE WHEN tracked AND renewal_date >= $1 AND renewal_date <= ")
            .arg(day(today + Duration::days(90)));
        sql.push(
            " THEN 1 ELSE 0 END), 0) AS BIGINT) AS r90, \
               CAST(COALESCE(SUM(CASE WHEN tracked AND renewal_date >= $1 AND renewal_date <= $4 THEN arr_minor ELSE 0 END), 0) AS BIGINT) AS arr90, \
               CAST(COALESCE(SUM(CASE WHEN tracked AND payment_state IN ('past_due', 'failed') THEN 1 ELSE 0 END), 0) AS BIGINT) AS problems \
             FROM accounts WHERE workspace_id = ",
        )
        .arg(ws.id);
        let row = sql.query().fetch_one(self.pool()).await?;

        let horizon = add_months(today, 12);
        let months = sqlx::query(
            "SELECT SUBSTR(renewal_date, 1, 7) AS month, CAST(SUM(arr_minor) AS BIGINT) AS arr FROM accounts \
             WHERE workspace_id = $1 AND tracked = $2 AND renewal_date >= $3 AND renewal_date < $4 \
             GROUP BY SUBSTR(renewal_date, 1, 7) ORDER BY month",
        )
        .bind(ws.id)
        .bind(true)
        .bind(&t)
        .bind(day(horizon))
        .fetch_all(self.pool())
        .await?;
        let mut by_month = std::collections::HashMap::new();
        for m in &months {
            by_month.insert(m.text("month")?, m.int("arr")?);
        }
        let renewal_months = (0..12)
            .map(|i| {
                let d = add_months(today.with_day(1).unwrap_or(today), i);
                let key = format!("{:04}-{:02}", d.year(), d.month());
                let arr = by_month.get(&key).copied().unwrap_or(0);
                (d.format("%b %Y").to_string(), Money::new(arr, ws.currency.clone()))
            })
            .collect();

        // Health bands and the ARR distribution over score buckets.
        let card = self.scorecard(ws.id).await?;
        let scored = sqlx::query(
            &format!(
                "SELECT CAST(a.health_rank / 10 AS BIGINT) AS bucket, {EFFECTIVE_BAND} AS band, CAST(COUNT(*) AS BIGINT) AS n, \
                 CAST(SUM(a.arr_minor) AS BIGINT) AS arr {} \
                 WHERE a.workspace_id = $1 AND a.health_band IS NOT NULL AND a.tracked = $2 AND a.lifecycle <> 'churned' \
                 GROUP BY CAST(a.health_rank / 10 AS BIGINT), {EFFECTIVE_BAND}",
                account_from(today)
            ),
        )
        .bind(ws.id)
        .bind(true)
        .fetch_all(self.pool())
        .await?;
        let mut bands: Vec<BandTotal> = Band::ALL
            .iter()
            .map(|b| BandTotal {
                band: *b,
                accounts: 0,
                arr: Money::new(0, ws.currency.clone()),
            })
            .collect();
        let mut buckets: Vec<ScoreBucket> = (0..10)
            .map(|i| ScoreBucket {
                from: i * 10,
                accounts: 0,
                arr: Money::new(0, ws.currency.clone()),
                band: card.band(i * 10 + 5),
            })
            .collect();
        let mut scored_n = 0;
        for r in &scored {
            let n = count(r.int("n")?);
            let arr = r.int("arr")?;
            scored_n += n;
            if let Some(band) = r.opt_text("band")?.as_deref().and_then(Band::parse) {
                let total = &mut bands[Band::ALL.iter().position(|b| *b == band).unwrap_or(0)];
                total.accounts += n;
                total.arr.minor += arr;
            }
            let bucket = &mut buckets[r.int("bucket")?.clamp(0, 9) as usize];
            bucket.accounts += n;
            bucket.arr.minor += arr;
        }
        let owners = sqlx::query(
            "SELECT DISTINCT owner_name FROM accounts WHERE workspace_id = $1 AND owner_name IS NOT NULL ORDER BY owner_name",
        )
        .bind(ws.id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| r.text("owner_name"))
        .collect::<Result<Vec<_>>>()?;
        let active_n = count(row.int("active_n")?);
        let arr_at_risk = Money::new(
            bands
                .iter()
                .filter(|b| b.band != Band::Green)
                .map(|b| b.arr.minor)
                .sum(),
            ws.currency.clone(),
        );

        Ok(HealthSummary {
            bands,
            arr_at_risk,
            score_buckets: buckets,
            unscored: active_n.saturating_sub(scored_n),
            // Churned accounts belong to Re-engage; Health counts the accounts it monitors.
            accounts: active_n,
            untracked: count(row.int("untracked_n")?),
            total_arr: Money::new(row.int("arr")?, ws.currency.clone()),
            renewals_30: count(row.int("r30")?),
            renewals_60: count(row.int("r60")?),
            renewals_90: count(row.int("r90")?),
            arr_renewing_90: Money::new(row.int("arr90")?, ws.currency.clone()),
            payment_problems: count(row.int("problems")?),
            renewal_months,
            owners,
        })
    }

    pub async fn health_queue(
        &self,
        ws: &WorkspaceInfo,
        query: &ListQuery,
        today: NaiveDate,
    ) -> Result<Page<AccountRow>> {
        // Overrides matter to the rows only when a band is asked for; otherwise the count and
        // the page's ids come from the accounts' indexes alone.
        let by_band = matches!(query.band.as_str(), "red" | "amber" | "green" | "at_risk");
        let accounts = if by_band {
            account_from(today)
        } else {
            "FROM accounts a".to_string()
        };
        let mut from = Sql::new(&format!("{accounts} WHERE a.workspace_id = "));
        from.arg(ws.id);
        match query.band.as_str() {
            "red" | "amber" | "green" => {
                from.push(&format!(" AND {EFFECTIVE_BAND} = ")).arg(query.band.as_str());
            }
            "at_risk" => {
                from.push(&format!(" AND {EFFECTIVE_BAND} IN ('red', 'amber')"));
            }
            _ => {}
        }
        if let Ok(low) = query.bucket.parse::<i64>() {
            let low = low.clamp(0, 90) / 10 * 10;
            let high = if low == 90 { 101 } else { low + 10 };
            from.push(" AND a.health_rank >= ")
                .arg(low)
                .push(" AND a.health_rank < ")
                .arg(high);
        }
        match query.filter.as_str() {
            "untracked" => {
                from.push(" AND a.tracked = ").arg(false);
            }
            other => {
                from.push(" AND a.tracked = ").arg(true);
                match other {
                    "customer" | "trial" | "prospect" | "churned" => {
                        from.push(" AND a.lifecycle = ").arg(other);
                    }
                    // Churned accounts are Re-engage's business; ask for them by name.
                    _ => {
                        from.push(" AND a.lifecycle <> 'churned'");
                    }
                }
            }
        }
        match query.owner.trim() {
            "" => {}
            "none" => {
                from.push(" AND a.owner_name IS NULL");
            }
            name if name.chars().count() <= MAX_SEARCH_LEN => {
                from.push(" AND a.owner_name = ").arg(name.to_string());
            }
            _ => return Err(StoreError::Invalid("That owner name is too long.".into())),
        }
        match query.renewal.as_str() {
            "" => {}
            "30" | "60" | "90" => {
                let days: i64 = query.renewal.parse().unwrap_or(90);
                from.push(" AND a.renewal_date >= ")
                    .arg(today)
                    .push(" AND a.renewal_date <= ")
                    .arg(today + Duration::days(days));
            }
            other => {
                return Err(StoreError::Invalid(format!(
                    "Renewal window {other:?} is not one of 30, 60 or 90 days."
                )))
            }
        }
        match query.payment.as_str() {
            "" => {}
            "problem" => {
                from.push(" AND a.payment_state IN ('past_due', 'failed')");
            }
            other => match PaymentState::parse(other) {
                Some(state) => {
                    from.push(" AND a.payment_state = ").arg(state.as_str());
                }
                None => return Err(StoreError::Invalid(format!("Payment state {other:?} is not known."))),
            },
        }
        if let Some(pattern) = search(query)? {
            // SQLite's LIKE already ignores ASCII case (and its LOWER changes nothing else), so
            // it tests the indexed columns as they are; PostgreSQL's LIKE needs both sides lower.
            let (name, domain) = if self.backend() == crate::store::Backend::Sqlite {
                ("a.name", "a.domain")
            } else {
                ("LOWER(a.name)", "LOWER(a.domain)")
            };
            from.push(&format!(" AND ({name} LIKE "))
                .arg(pattern.clone())
                .push(&format!(" ESCAPE '\\' OR {domain} LIKE "))
                .arg(pattern)
                .push(" ESCAPE '\\')");
        }
        let total = total(self, &from).await?;
        let order = match query.sort.as_str() {
            "name" => "a.name ASC, a.id ASC",
            "renewal" => "a.renewal_date ASC NULLS LAST, a.id ASC",
            "arr" => "a.arr_minor DESC, a.id ASC",
            // Default: the riskiest first, the largest of equal risk first.
            _ => "a.health_rank ASC, a.arr_minor DESC, a.id ASC",
        };
        let mut ids = Sql {
            text: format!("SELECT a.id {} ORDER BY {order}", from.text),
            args: from.args,
        };
        paginate(&mut ids, query);
        // Scores (wide: every factor) are joined for the page's rows only.
        let sql = Sql {
            text: format!(
                "SELECT {ACCOUNT_COLUMNS} FROM ({}) p JOIN accounts a ON a.id = p.id \
                 LEFT JOIN health_scores hs ON hs.account_id = a.id \
                 LEFT JOIN health_overrides ho ON ho.account_id = a.id AND ho.expires_on >= '{}' ORDER BY {order}",
                ids.text,
                day(today)
            ),
            args: ids.args,
        };
        let rows = sql.query().fetch_all(self.pool()).await?;
        Ok(page(rows.iter().map(account_row).collect::<Result<_>>()?, total, query))
    }
}
