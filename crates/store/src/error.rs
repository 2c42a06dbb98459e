use rapport_domain::{Invalid, TransitionError};

/// What can go wrong in storage, in terms the callers can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The thing named in the request path does not exist. `entity` is named for people
    /// (`inbound email`); the HTTP layer spells it in snake_case for the code.
    #[error("{entity} {id} does not exist")]
    NotFound { entity: &'static str, id: String },
    /// The request refers to something that does not exist (an assignee, a team).
    #[error("{message}")]
    UnknownReference {
        entity: &'static str,
        message: String,
    },
    /// The change collides with existing data, such as an email that belongs to someone else.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The person may not do this to this object (a rule that needs the staff's reporting
    /// line, which only the store reads).
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The configuration (usually the database URL) is wrong.
    #[error("{0}")]
    Config(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The database cannot be reached (stopped, restarting, the network is down); nothing was
    /// written. Said for a batch whose first try met this, so each mail need not wait again.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The file store (a directory or an S3 bucket) could not read or write a file; nothing
    /// that names the file was committed, so trying again later may work.
    #[error("{0}")]
    Files(String),
    /// The data in the database is not what the code expects.
    #[error("corrupt data: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        StoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }

    pub fn unknown(entity: &'static str, field: &str, id: i64) -> Self {
        StoreError::UnknownReference {
            entity,
            message: format!("`{field}`: there is no {entity} with id {id}"),
        }
    }

    /// Whether the database refused the write because its disk (or its size limit) is full:
    /// SQLite's `SQLITE_FULL`, PostgreSQL's `disk_full` (53100).
    pub fn is_storage_full(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(err)) => {
                let code = err.code();
                let code = code.as_deref().unwrap_or_default();
                // SQLite reports its primary code 13 (or an extended code ending in it).
                code == "53100" || code.parse::<i64>().is_ok_and(|code| code & 0xff == 13)
            }
            _ => false,
        }
    }

    /// Whether the database could not be reached at all, so trying again later may work:
    /// no connection (refused, reset, timed out waiting for one), or PostgreSQL shutting down
    /// or starting (SQLSTATE class 08 connection exceptions, 57P01-57P03).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Unavailable(_) | StoreError::Files(_) => true,
            StoreError::Database(
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed,
            ) => true,
            StoreError::Database(sqlx::Error::Database(err)) => {
                let code = err.code();
                let code = code.as_deref().unwrap_or_default();
                code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
            }
            _ => false,
        }
    }

    /// Whether the database refused the write because of a unique constraint.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(err)) if err.is_unique_violation())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_out_of_reach_is_unavailable_and_nothing_else_is() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(StoreError::Database(sqlx::Error::Io(refused)).is_unavailable());
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_unavailable());
        assert!(StoreError::Unavailable("stopped".into()).is_unavailable());
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_unavailable());
        assert!(!StoreError::not_found("ticket", 7).is_unavailable());
        assert!(!StoreError::Corrupt("bad".into()).is_unavailable());
    }
}
