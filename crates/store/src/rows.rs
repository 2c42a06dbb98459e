//! Reading columns out of `Any` rows, with a clear error when stored text is not a known name.

use crate::{StoreError, StoreResult};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::str::FromStr;

pub(crate) fn int(row: &AnyRow, column: &str) -> StoreResult<i64> {
    Ok(row.try_get::<i64, _>(column)?)
}

pub(crate) fn opt_int(row: &AnyRow, column: &str) -> StoreResult<Option<i64>> {
    Ok(row.try_get::<Option<i64>, _>(column)?)
}

pub(crate) fn text(row: &AnyRow, column: &str) -> StoreResult<String> {
    Ok(row.try_get::<String, _>(column)?)
}

pub(crate) fn opt_text(row: &AnyRow, column: &str) -> StoreResult<Option<String>> {
    Ok(row.try_get::<Option<String>, _>(column)?)
}

/// A column holding one of the domain's names (a role, a state).
pub(crate) fn named<T: FromStr>(row: &AnyRow, column: &str) -> StoreResult<T> {
    let value = text(row, column)?;
    value.parse().map_err(|_| {
        StoreError::Corrupt(format!(
            "column `{column}` holds the unknown value `{value}`"
        ))
    })
}

/// A nullable column holding a name (`NULL` reads as `None`).
pub(crate) fn opt_named<T: FromStr>(row: &AnyRow, column: &str) -> StoreResult<Option<T>> {
    opt_text(row, column)?
        .map(|value| {
            value.parse().map_err(|_| {
                StoreError::Corrupt(format!(
                    "column `{column}` holds the unknown value `{value}`"
                ))
            })
        })
        .transpose()
}

/// A value bound to a placeholder of a query whose text is built at run time.
#[derive(Debug, Clone)]
pub(crate) enum Bound {
    Int(i64),
    Text(String),
}

/// A query's text with its values in placeholder order.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub sql: String,
    pub binds: Vec<Bound>,
}

impl Built {
    pub(crate) fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        let mut query = sqlx::query(&self.sql);
        for bound in &self.binds {
            query = match bound {
                Bound::Int(value) => query.bind(*value),
                Bound::Text(value) => query.bind(value.as_str()),
            };
        }
        query
    }
}

/// `$first, $first+1, ...` for an `IN (...)` list of `count` values.
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Enum names as an SQL list (`'open', 'resolution_proposed'`), for conditions written into
/// a query's text. The names come from `named_enum!`, so they are fixed snake_case words
/// that need no escaping; anything else is refused rather than quoted.
pub(crate) fn sql_names<T: std::fmt::Display>(names: &[T]) -> String {
    names
        .iter()
        .map(|name| {
            let name = name.to_string();
            assert!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "`{name}` is not an enum name"
            );
            format!("'{name}'")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Text to match literally inside a `LIKE ... ESCAPE '\'` pattern: LIKE's own characters
/// (`%`, `_` and the escape) match only themselves.
pub(crate) fn like_escaped(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

#[cfg(test)]
mod sql_names_tests {
    use super::sql_names;
    use rapport_domain::Problem;

    #[test]
    fn enum_names_become_an_sql_list() {
        assert_eq!(
            sql_names(&[Problem::Open, Problem::ResolutionProposed]),
            "'open', 'resolution_proposed'"
        );
    }
}

#[cfg(test)]
mod like_tests {
    use super::like_escaped;

    #[test]
    fn like_characters_match_only_themselves() {
        assert_eq!(like_escaped(r"50%_off\now"), r"50\%\_off\\now");
        assert_eq!(like_escaped("plain"), "plain");
    }
}
