//! Small helpers for runtime SQL that runs unchanged on SQLite and PostgreSQL: numbered
//! placeholders (`$1`, both dialects accept them), typed bind values and row readers.

use super::{Result, StoreError};
use chrono::NaiveDate;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};

/// A value bound to a placeholder.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Int(i64),
    Real(f64),
    Text(String),
    Flag(bool),
    NullText,
    NullInt,
    NullReal,
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Self {
        Val::Real(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::Flag(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_string())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}
impl From<NaiveDate> for Val {
    fn from(v: NaiveDate) -> Self {
        Val::Text(day(v))
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        v.map(Val::Text).unwrap_or(Val::NullText)
    }
}
impl From<Option<&str>> for Val {
    fn from(v: Option<&str>) -> Self {
        v.map(|s| Val::Text(s.to_string())).unwrap_or(Val::NullText)
    }
}
impl From<Option<NaiveDate>> for Val {
    fn from(v: Option<NaiveDate>) -> Self {
        v.map(|d| Val::Text(day(d))).unwrap_or(Val::NullText)
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        v.map(Val::Int).unwrap_or(Val::NullInt)
    }
}

pub fn bind<'q>(query: Query<'q, Any, AnyArguments<'q>>, value: Val) -> Query<'q, Any, AnyArguments<'q>> {
    match value {
        Val::Int(v) => query.bind(v),
        Val::Real(v) => query.bind(v),
        Val::Text(v) => query.bind(v),
        Val::Flag(v) => query.bind(v),
        Val::NullText => query.bind(None::<String>),
        Val::NullInt => query.bind(None::<i64>),
        Val::NullReal => query.bind(None::<f64>),
    }
}

/// Builds a statement with numbered placeholders and collects its bind values in order.
#[derive(Default)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Val>,
}

impl Sql {
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn arg(&mut self, value: impl Into<Val>) -> &mut Self {
        self.args.push(value.into());
        self.text.push_str(&format!("${}", self.args.len()));
        self
    }

    /// Appends ` IN ($n, …)` with one placeholder per value.
    pub fn in_list<T: Into<Val> + Copy>(&mut self, values: &[T]) -> &mut Self {
        self.push(" IN (");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.arg(*v);
        }
        self.push(")")
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for v in &self.args {
            q = bind(q, v.clone());
        }
        q
    }
}

pub fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// `LIKE` pattern for a substring search, with the wildcards in the text escaped (`ESCAPE '\'`).
pub fn like_pattern(needle: &str) -> String {
    let escaped = needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// Typed reads that give one clear error for a malformed column.
pub trait RowExt {
    fn int(&self, col: &str) -> Result<i64>;
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    fn real(&self, col: &str) -> Result<f64>;
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn flag(&self, col: &str) -> Result<bool>;
    fn date(&self, col: &str) -> Result<NaiveDate>;
    fn opt_date(&self, col: &str) -> Result<Option<NaiveDate>>;
    fn parsed<T>(&self, col: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T>;
}

fn parse_day(col: &str, text: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| StoreError::Corrupt(format!("{col} is not a date: {text:?}")))
}

impl RowExt for AnyRow {
    fn int(&self, col: &str) -> Result<i64> {
        Ok(self.try_get::<i64, _>(col)?)
    }
    fn opt_int(&self, col: &str) -> Result<Option<i64>> {
        Ok(self.try_get::<Option<i64>, _>(col)?)
    }
    fn real(&self, col: &str) -> Result<f64> {
        Ok(self.try_get::<f64, _>(col)?)
    }
    fn text(&self, col: &str) -> Result<String> {
        Ok(self.try_get::<String, _>(col)?)
    }
    fn opt_text(&self, col: &str) -> Result<Option<String>> {
        Ok(self.try_get::<Option<String>, _>(col)?)
    }
    /// BOOLEAN on PostgreSQL, INTEGER 0/1 on SQLite.
    fn flag(&self, col: &str) -> Result<bool> {
        match self.try_get::<bool, _>(col) {
            Ok(b) => Ok(b),
            Err(_) => Ok(self.try_get::<i64, _>(col)? != 0),
        }
    }
    fn date(&self, col: &str) -> Result<NaiveDate> {
        parse_day(col, &self.text(col)?)
    }
    fn opt_date(&self, col: &str) -> Result<Option<NaiveDate>> {
        self.opt_text(col)?.map(|t| parse_day(col, &t)).transpose()
    }
    fn parsed<T>(&self, col: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
        let text = self.text(col)?;
        parse(&text).ok_or_else(|| StoreError::Corrupt(format!("{col} has an unknown value {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_in_order() {
        let mut sql = Sql::new("SELECT 1 WHERE a = ");
        sql.arg(1i64).push(" AND b = ").arg("x");
        assert_eq!(sql.text, "SELECT 1 WHERE a = $1 AND b = $2");
        assert_eq!(sql.args, vec![Val::Int(1), Val::Text("x".into())]);
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_off"), "%50\\%\\_off%");
    }
}
