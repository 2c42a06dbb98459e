//! Customers and their email addresses.

use crate::rows::{int, opt_int, opt_text, text};
use crate::{Store, StoreError, StoreResult, Tx, events};
use rapport_domain::Job;
use rapport_domain::{Actor, Customer, validate};
use serde_json::json;

impl Store {
    /// Creates a customer with one email address. A customer whose address is at an
    /// organization's domain joins that organization.
    pub async fn create_customer(
        &self,
        name: &str,
        email: &str,
        actor: Actor,
    ) -> StoreResult<Customer> {
        let name = validate::line("name", name, validate::MAX_NAME_CHARS)?;
        let email = validate::email(email)?;
        let mut tx = self.begin_write().await?;
        if let Some(existing) = customer_id_by_email(&mut tx, &email).await? {
            return Err(StoreError::Conflict {
                code: "email_taken",
                message: format!("{email} already belongs to customer {existing}"),
            });
        }
        let id = insert_customer(&mut tx, &self.now(), &name, &email, actor).await?;
        let customer = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(customer)
    }

    pub async fn customer(&self, id: i64) -> StoreResult<Customer> {
        let mut conn = self.pool().acquire().await?;
        load(&mut conn, id).await
    }

    /// Customers' names by id, for those of `ids` who exist.
    pub async fn customer_names(
        &self,
        ids: &[i64],
    ) -> StoreResult<std::collections::HashMap<i64, String>> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let sql = format!(
            "SELECT id, name FROM customers WHERE id IN ({})",
            crate::rows::placeholders(1, ids.len())
        );
        let mut query = sqlx::query(&sql);
        for id in ids {
            query = query.bind(*id);
        }
        query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|row| Ok((int(row, "id")?, text(row, "name")?)))
            .collect()
    }

    /// The customer who owns an email address, if any.
    pub async fn customer_by_email(&self, email: &str) -> StoreResult<Option<Customer>> {
        // Mail may bring addresses a form would refuse (`someone@host`); they are still found.
        let email = validate::email(email).or_else(|err| {
            let lenient = email.trim().to_lowercase();
            if lenient.contains('@') && !lenient.contains(char::is_whitespace) {
                Ok(lenient)
            } else {
                Err(err)
            }
        })?;
        let mut conn = self.pool().acquire().await?;
        let id: Option<i64> =
            sqlx::query_scalar("SELECT customer_id FROM customer_emails WHERE email = $1")
                .bind(&email)
                .fetch_optional(&mut *conn)
                .await?;
        match id {
            Some(id) => Ok(Some(load(&mut conn, id).await?)),
            None => Ok(None),
        }
    }
}

pub(crate) async fn customer_id_by_email(tx: &mut Tx, email: &str) -> StoreResult<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT customer_id FROM customer_emails WHERE email = $1")
            .bind(email)
            .fetch_optional(&mut **tx)
            .await?,
    )
}

/// Inserts a customer whose email is known to be free and records the event.
pub(crate) async fn insert_customer(
    tx: &mut Tx,
    now: &str,
    name: &str,
    email: &str,
    actor: Actor,
) -> StoreResult<i64> {
    let organization_id: Option<i64> =
        sqlx::query_scalar("SELECT organization_id FROM organization_domains WHERE domain = $1")
            .bind(validate::email_domain(email))
            .fetch_optional(&mut **tx)
            .await?;
    let id: i64 =
        sqlx::query_scalar("INSERT INTO customers (name, organization_id, created_at) VALUES ($1, $2, $3) RETURNING id")
            .bind(name)
            .bind(organization_id)
            .bind(now)
            .fetch_one(&mut **tx)
            .await?;
    sqlx::query("INSERT INTO customer_emails (email, customer_id, created_at) VALUES ($1, $2, $3)")
        .bind(email)
        .bind(id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    events::record(
        tx,
        now,
        actor,
        "customer",
        id,
        "customer.created",
        json!({
            "name": events::change(None::<String>, name),
            "emails": events::change(None::<Vec<String>>, [email]),
            "organization_id": events::change(None::<i64>, organization_id),
        }),
    )
    .await?;
    Ok(id)
}

pub(crate) async fn load(conn: &mut sqlx::AnyConnection, id: i64) -> StoreResult<Customer> {
    let row =
        sqlx::query("SELECT id, name, phone, notes, organization_id, owner_id, merged_into, created_at FROM customers WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| StoreError::not_found("customer", id))?;
    let emails: Vec<String> = sqlx::query_scalar(
        "SELECT email FROM customer_emails WHERE customer_id = $1 ORDER BY is_primary DESC, created_at, email",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Customer {
        id: int(&row, "id")?,
        name: text(&row, "name")?,
        emails,
        phone: opt_text(&row, "phone")?,
        notes: opt_text(&row, "notes")?,
        organization_id: opt_int(&row, "organization_id")?,
        owner_id: opt_int(&row, "owner_id")?,
        merged_into: opt_int(&row, "merged_into")?,
        created_at: text(&row, "created_at")?,
    })
}

impl Store {
    /// Names the relationship owner. Replacing an owner needs a hand-over note, which stays in
    /// the customer's history: the relationship outlives the staff.
    pub async fn set_customer_owner(
        &self,
        id: i64,
        owner_id: Option<i64>,
        note: Option<&str>,
        actor: Actor,
    ) -> StoreResult<Customer> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let before = load(&mut tx, id).await?;
        change_owner(
            &mut tx,
            &now,
            "customer",
            id,
            before.owner_id,
            owner_id,
            note,
            actor,
        )
        .await?;
        let customer = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(customer)
    }

    /// Merges a duplicate identity into `keep`: addresses, tickets, messages, calls, promises,
    /// moments, surveys and tasks all move; the duplicate stays as a record pointing at `keep`.
    /// Nothing is deleted, and the merge is audited on both.
    pub async fn merge_customers(
        &self,
        keep: i64,
        duplicate: i64,
        actor: Actor,
    ) -> StoreResult<Customer> {
        if keep == duplicate {
            return Err(validate::Invalid::new(
                "duplicate_id",
                "a customer cannot be merged into itself",
            )
            .into());
        }
        let now = self.now();
        let mut tx = self.begin_write().await?;
        // Both customers are held (lower id first) against an erasure or another merge at once.
        for id in [keep.min(duplicate), keep.max(duplicate)] {
            self.lock_row(&mut tx, crate::Locked::Customer, id).await?;
        }
        let kept = load(&mut tx, keep).await?;
        let dup = load(&mut tx, duplicate).await.map_err(|err| match err {
            StoreError::NotFound { .. } => {
                StoreError::unknown("customer", "duplicate_id", duplicate)
            }
            other => other,
        })?;
        if kept.merged_into.is_some() {
            return Err(StoreError::Conflict {
                code: "customer_merged",
                message: format!(
                    "customer {keep} was itself merged into {}",
                    kept.merged_into.unwrap_or_default()
                ),
            });
        }
        if dup.merged_into.is_some() {
            return Err(StoreError::Conflict {
                code: "customer_merged",
                message: format!("customer {duplicate} was already merged"),
            });
        }
        // The kept customer's primary address stays the one we write to.
        sqlx::query("UPDATE customer_emails SET is_primary = 0 WHERE customer_id = $1")
            .bind(duplicate)
            .execute(&mut *tx)
            .await?;
        for (table, column) in [
            ("customer_emails", "customer_id"),
            ("tickets", "customer_id"),
            ("messages", "author_customer_id"),
            ("calls", "customer_id"),
            ("promises", "customer_id"),
            ("moments", "customer_id"),
            ("surveys", "customer_id"),
            ("tasks", "customer_id"),
            // Requests for a manager, letters to management, contracts and assets are the
            // relationship's too.
            ("escalations", "customer_id"),
            ("letters", "customer_id"),
            ("contracts", "customer_id"),
            ("assets", "customer_id"),
            ("complaints", "customer_id"),
            ("policy_exceptions", "customer_id"),
        ] {
            sqlx::query(&format!(
                "UPDATE {table} SET {column} = $1 WHERE {column} = $2"
            ))
            .bind(keep)
            .bind(duplicate)
            .execute(&mut *tx)
            .await?;
        }
        // The kept record's own history wins on days both have a health point.
        sqlx::query("DELETE FROM health_points WHERE entity = $2 AND entity_id = $1")
            .bind(duplicate)
            .bind("customer")
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE customers SET owner_id = COALESCE(owner_id, $1), organization_id = COALESCE(organization_id, $2), \
             phone = COALESCE(phone, $3), notes = COALESCE(notes, $4) WHERE id = $5",
        )
        .bind(dup.owner_id)
        .bind(dup.organization_id)
        .bind(&dup.phone)
        .bind(&dup.notes)
        .bind(keep)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE customers SET merged_into = $1 WHERE id = $2")
            .bind(keep)
            .bind(duplicate)
            .execute(&mut *tx)
            .await?;
        let moved = json!({ "emails": events::change(None::<Vec<String>>, &dup.emails), "merged_from": events::change(None::<i64>, duplicate) });
        events::record(
            &mut tx,
            &now,
            actor,
            "customer",
            keep,
            "customer.merged",
            moved,
        )
        .await?;
        events::record(
            &mut tx,
            &now,
            actor,
            "customer",
            duplicate,
            "customer.merged_into",
            json!({ "merged_into": events::change(None::<i64>, keep) }),
        )
        .await?;
        crate::jobs::enqueue_once(&mut tx, &now, &Job::RecomputeHealth { customer_id: keep })
            .await?;
        let customer = load(&mut tx, keep).await?;
        tx.commit().await?;
        Ok(customer)
    }
}

/// Changes the relationship owner of a customer or an organization (`entity`, which is also
/// its table's singular name). Replacing an owner needs a hand-over note, which the audit
/// trail keeps: the relationship outlives the staff.
#[expect(
    clippy::too_many_arguments,
    reason = "one plain step shared by two callers"
)]
pub(crate) async fn change_owner(
    tx: &mut Tx,
    now: &str,
    entity: &'static str,
    id: i64,
    before: Option<i64>,
    owner_id: Option<i64>,
    note: Option<&str>,
    actor: Actor,
) -> StoreResult<()> {
    if let Some(owner) = owner_id {
        crate::agents::ensure_agent(tx, "owner_id", owner).await?;
    }
    if before == owner_id {
        return Ok(());
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if before.is_some() && note.is_none() {
        return Err(validate::Invalid::new(
            "handover_note",
            "changing the relationship owner needs a hand-over note for the next person: what matters to this customer, \
             what was promised, what is in progress",
        )
        .into());
    }
    let table = match entity {
        "customer" => "customers",
        _ => "organizations",
    };
    sqlx::query(&format!("UPDATE {table} SET owner_id = $1 WHERE id = $2"))
        .bind(owner_id)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    let changes = json!({ "owner_id": events::change(before, owner_id), "note": events::change(None::<String>, note) });
    events::record(
        tx,
        now,
        actor,
        entity,
        id,
        &format!("{entity}.owner_changed"),
        changes,
    )
    .await
}

/// The name we greet a customer by (see [`rapport_domain::wording::first_name`]).
pub(crate) async fn customer_first_name(tx: &mut Tx, customer_id: i64) -> StoreResult<String> {
    let name: Option<String> = sqlx::query_scalar("SELECT name FROM customers WHERE id = $1")
        .bind(customer_id)
        .fetch_optional(&mut **tx)
        .await?;
    Ok(rapport_domain::wording::first_name(name.as_deref()))
}
