//! Sign-in tries counted in the database, so that every node serving the workspace sees the
//! same counts. The rules (how many, for how long) are the caller's; this module keeps the
//! counts race-free: a try is reserved by one conditional upsert that adds it only while the
//! count is under the limit, so a burst of tries at once, on any number of nodes, gets at
//! most the limit.

use crate::{Store, StoreResult, clock};

/// How many failures are allowed, and for how long counts and trust last.
#[derive(Debug, Clone, Copy)]
pub struct SignInRules {
    /// Per address and client.
    pub per_client: i64,
    /// Per address, from clients that are not trusted.
    pub per_address: i64,
    /// Per client, whatever the addresses it tries: one machine spraying many addresses.
    pub per_machine: i64,
    pub window: time::Duration,
    pub trusted_for: time::Duration,
}

/// Who tries: the address (lower-case) and the client's key.
#[derive(Debug, Clone)]
pub struct SignInTry {
    pub address: String,
    pub client: String,
}

impl SignInTry {
    fn subject(&self) -> String {
        format!("{} {}", self.address, self.client)
    }
}

/// A reserved try counts until it is forgiven; `Refused` says how long until the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    Counted,
    Refused { seconds_left: i64 },
}

const RESERVE: &str = "INSERT INTO sign_in_limits (scope, subject, window_start, failures) \
     VALUES ($1, $2, $3, 1) \
     ON CONFLICT (scope, subject) DO UPDATE SET \
       failures = CASE WHEN sign_in_limits.window_start <= $4 THEN 1 \
                       ELSE sign_in_limits.failures + 1 END, \
       window_start = CASE WHEN sign_in_limits.window_start <= $4 THEN $3 \
                           ELSE sign_in_limits.window_start END \
     WHERE sign_in_limits.window_start <= $4 OR sign_in_limits.failures < $5 \
     RETURNING failures";

impl Store {
    /// Counts a try against both the client's and the address's limit, or neither when one
    /// of them is reached. A client trusted for the address is not held to the address's limit.
    pub async fn reserve_sign_in(
        &self,
        attempt: &SignInTry,
        rules: SignInRules,
    ) -> StoreResult<Reservation> {
        let now = self.clock().now();
        let stamp = clock::format(now);
        let window_over = clock::format(now - rules.window);
        let subject = attempt.subject();
        let mut tx = self.begin_write().await?;
        let trusted: Option<String> = sqlx::query_scalar(
            "SELECT subject FROM sign_in_trusted WHERE subject = $1 AND trusted_at > $2",
        )
        .bind(&subject)
        .bind(clock::format(now - rules.trusted_for))
        .fetch_optional(&mut *tx)
        .await?;
        let per_address = if trusted.is_some() {
            i64::MAX
        } else {
            rules.per_address
        };
        for (scope, who, limit) in [
            ("client", subject.as_str(), rules.per_client),
            ("address", attempt.address.as_str(), per_address),
            ("machine", attempt.client.as_str(), rules.per_machine),
        ] {
            let counted: Option<i64> = sqlx::query_scalar(RESERVE)
                .bind(scope)
                .bind(who)
                .bind(&stamp)
                .bind(&window_over)
                .bind(limit)
                .fetch_optional(&mut *tx)
                .await?;
            if counted.is_none() {
                let since: String = sqlx::query_scalar(
                    "SELECT window_start FROM sign_in_limits WHERE scope = $1 AND subject = $2",
                )
                .bind(scope)
                .bind(who)
                .fetch_one(&mut *tx)
                .await?;
                let ends = clock::parse(&since).map_or(now, |since| since + rules.window);
                let seconds_left = (ends - now).whole_seconds().max(1);
                // Dropping the transaction takes back the client's count too.
                return Ok(Reservation::Refused { seconds_left });
            }
        }
        tx.commit().await?;
        Ok(Reservation::Counted)
    }

    /// The try signed in: the client's failures are forgiven, the address's count loses the
    /// try, and the client is trusted for the address.
    pub async fn sign_in_succeeded(&self, attempt: &SignInTry) -> StoreResult<()> {
        let subject = attempt.subject();
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM sign_in_limits WHERE scope = 'client' AND subject = $1")
            .bind(&subject)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE sign_in_limits SET failures = failures - 1 \
             WHERE scope = 'address' AND subject = $1 AND failures > 0",
        )
        .bind(&attempt.address)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE sign_in_limits SET failures = failures - 1 \
             WHERE scope = 'machine' AND subject = $1 AND failures > 0",
        )
        .bind(&attempt.client)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO sign_in_trusted (subject, trusted_at) VALUES ($1, $2) \
             ON CONFLICT (subject) DO UPDATE SET trusted_at = excluded.trusted_at",
        )
        .bind(&subject)
        .bind(self.now())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Forgets windows that are over and trust that has lapsed; the worker calls this.
    pub async fn prune_sign_in_limits(&self, rules: SignInRules) -> StoreResult<u64> {
        let now = self.clock().now();
        let windows = sqlx::query("DELETE FROM sign_in_limits WHERE window_start <= $1")
            .bind(clock::format(now - rules.window))
            .execute(self.pool())
            .await?;
        let trust = sqlx::query("DELETE FROM sign_in_trusted WHERE trusted_at <= $1")
            .bind(clock::format(now - rules.trusted_for))
            .execute(self.pool())
            .await?;
        Ok(windows.rows_affected() + trust.rows_affected())
    }
}
