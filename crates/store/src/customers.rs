//! Customers and their email addresses.

use crate::rows::{int, opt_int, text};
use crate::{Store, StoreError, StoreResult, Tx, events};
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

    /// The customer who owns an email address, if any.
    pub async fn customer_by_email(&self, email: &str) -> StoreResult<Option<Customer>> {
        let email = validate::email(email)?;
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
        sqlx::query("SELECT id, name, organization_id, created_at FROM customers WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| StoreError::not_found("customer", id))?;
    let emails: Vec<String> = sqlx::query_scalar(
        "SELECT email FROM customer_emails WHERE customer_id = $1 ORDER BY created_at, email",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Customer {
        id: int(&row, "id")?,
        name: text(&row, "name")?,
        emails,
        organization_id: opt_int(&row, "organization_id")?,
        created_at: text(&row, "created_at")?,
    })
}
