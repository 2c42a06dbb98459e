//! Editing customers and organizations: a customer's name, phone, notes and organization, their
//! addresses (added, removed, made primary), and an organization's name, notes and mail
//! domains. Each change writes its event on the customer (or organization) with the values
//! before and after, which the customer's history says in words.
//!
//! Two rules hold under concurrent requests: an address belongs to one customer (the address
//! is `customer_emails`' primary key, and a second writer's insert is refused as a conflict),
//! and a customer keeps at least one address (their row is held while one is removed).
//! A domain belongs to one organization the same way.

use crate::customers::{customer_id_by_email, load};
use crate::rows::{int, opt_text, text};
use crate::{Locked, Store, StoreError, StoreResult, Tx, events};
use rapport_domain::{Actor, Customer, Organization, validate};
use serde_json::{Map, Value, json};

/// What to change about a customer; `None` leaves a field alone, `Some(None)` clears it.
#[derive(Default)]
pub struct CustomerChanges<'a> {
    pub name: Option<&'a str>,
    pub phone: Option<Option<&'a str>>,
    pub notes: Option<Option<&'a str>>,
    pub organization_id: Option<Option<i64>>,
}

/// What to change about an organization; `None` leaves a field alone.
#[derive(Default)]
pub struct OrganizationChanges<'a> {
    pub name: Option<&'a str>,
    pub notes: Option<Option<&'a str>>,
}

/// An organization after a domain was added, and the customers who joined it by that domain.
pub struct DomainAdded {
    pub organization: Organization,
    pub attached_customers: Vec<i64>,
}

/// A customer of an organization, as its page lists them.
pub struct Member {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
}

impl Store {
    /// Changes a customer's name, phone, notes or organization, in one event with each
    /// changed field's value before and after.
    pub async fn update_customer(
        &self,
        id: i64,
        changes: CustomerChanges<'_>,
        actor: Actor,
    ) -> StoreResult<Customer> {
        let name = changes
            .name
            .map(|name| validate::line("name", name, validate::MAX_NAME_CHARS))
            .transpose()?;
        let phone = changes.phone.map(|p| p.map(validate::phone).transpose());
        let phone = phone.transpose()?.map(Option::flatten);
        let notes = changes.notes.map(|n| n.map(validate::notes).transpose());
        let notes = notes.transpose()?.map(Option::flatten);
        let now = self.now();
        let mut tx = self.begin_write().await?;
        self.lock_row(&mut tx, Locked::Customer, id).await?;
        let before = editable(&mut tx, id).await?;
        let mut recorded = Map::new();
        let mut set = |field: &str, old: Option<String>, new: Option<String>| {
            if old != new {
                recorded.insert(field.to_owned(), events::change(old, new));
                true
            } else {
                false
            }
        };
        let name_changed = name
            .as_ref()
            .is_some_and(|name| set("name", Some(before.name.clone()), Some(name.clone())));
        let phone_changed = phone
            .as_ref()
            .is_some_and(|phone| set("phone", before.phone.clone(), phone.clone()));
        let notes_changed = notes
            .as_ref()
            .is_some_and(|notes| set("notes", before.notes.clone(), notes.clone()));
        let organization = match changes.organization_id {
            Some(after) if after != before.organization_id => {
                let old = organization_name(&mut tx, before.organization_id).await?;
                let new = match after {
                    Some(org) => Some(organization_name(&mut tx, Some(org)).await?.ok_or_else(
                        || StoreError::unknown("organization", "organization_id", org),
                    )?),
                    None => None,
                };
                recorded.insert(
                    "organization_id".to_owned(),
                    events::change(before.organization_id, after),
                );
                recorded.insert("organization".to_owned(), events::change(old, new));
                Some(after)
            }
            Some(Some(org)) => {
                // Unchanged, but it must still exist.
                organization_name(&mut tx, Some(org))
                    .await?
                    .ok_or_else(|| StoreError::unknown("organization", "organization_id", org))?;
                None
            }
            _ => None,
        };
        if recorded.is_empty() {
            tx.commit().await?;
            return Ok(before);
        }
        if name_changed {
            sqlx::query("UPDATE customers SET name = $1 WHERE id = $2")
                .bind(name.as_deref())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if phone_changed {
            sqlx::query("UPDATE customers SET phone = $1 WHERE id = $2")
                .bind(phone.flatten())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if notes_changed {
            sqlx::query("UPDATE customers SET notes = $1 WHERE id = $2")
                .bind(notes.flatten())
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(organization_id) = organization {
            sqlx::query("UPDATE customers SET organization_id = $1 WHERE id = $2")
                .bind(organization_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        events::record(
            &mut tx,
            &now,
            actor,
            "customer",
            id,
            "customer.updated",
            Value::Object(recorded),
        )
        .await?;
        let customer = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(customer)
    }

    /// Adds an address to a customer, the one we write to when `primary`. An address that
    /// belongs to another customer is a conflict: one address, one customer.
    pub async fn add_customer_email(
        &self,
        id: i64,
        email: &str,
        primary: bool,
        actor: Actor,
    ) -> StoreResult<Customer> {
        let email = validate::email(email)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        self.lock_row(&mut tx, Locked::Customer, id).await?;
        let before = editable(&mut tx, id).await?;
        if let Some(owner) = customer_id_by_email(&mut tx, &email).await? {
            if owner == id {
                return Err(StoreError::Conflict {
                    code: "email_already_theirs",
                    message: format!("{email} is already one of this customer's addresses."),
                });
            }
            let name: String = sqlx::query_scalar("SELECT name FROM customers WHERE id = $1")
                .bind(owner)
                .fetch_one(&mut *tx)
                .await?;
            return Err(email_taken(&email, Some((owner, &name))));
        }
        let inserted = sqlx::query(
            "INSERT INTO customer_emails (email, customer_id, created_at) VALUES ($1, $2, $3)",
        )
        .bind(&email)
        .bind(id)
        .bind(&now)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(sqlx::Error::Database(err)) if err.is_unique_violation() => {
                return Err(email_taken(&email, None));
            }
            other => other?,
        };
        let mut changes = json!({ "email": events::change(None::<String>, &email) });
        if primary {
            mark_primary(&mut tx, id, &email).await?;
            changes["primary"] = events::change(false, true);
            changes["primary_email"] = events::change(before.emails.first(), &email);
        }
        events::record(
            &mut tx,
            &now,
            actor,
            "customer",
            id,
            "customer.email_added",
            changes,
        )
        .await?;
        let customer = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(customer)
    }

    /// Removes one of a customer's addresses; their last one stays (a customer we cannot write
    /// to is one we cannot serve). Removing the primary address makes the oldest left primary.
    pub async fn remove_customer_email(
        &self,
        id: i64,
        email: &str,
        actor: Actor,
    ) -> StoreResult<Customer> {
        let email = validate::email(email)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        self.lock_row(&mut tx, Locked::Customer, id).await?;
        let before = editable(&mut tx, id).await?;
        if !before.emails.contains(&email) {
            return Err(not_theirs(&email));
        }
        if before.emails.len() == 1 {
            return Err(StoreError::Conflict {
                code: "last_email",
                message: format!(
                    "{email} is this customer's only address, and a customer keeps at least one: \
                     add the new address first, then remove this one."
                ),
            });
        }
        sqlx::query("DELETE FROM customer_emails WHERE email = $1 AND customer_id = $2")
            .bind(&email)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        events::record(
            &mut tx,
            &now,
            actor,
            "customer",
            id,
            "customer.email_removed",
            json!({ "email": events::change(&email, None::<String>) }),
        )
        .await?;
        let customer = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(customer)
    }

    /// Makes one of a customer's addresses the one we write to.
    pub async fn make_email_primary(
        &self,
        id: i64,
        email: &str,
        actor: Actor,
    ) -> StoreResult<Customer> {
        let email = validate::email(email)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        self.lock_row(&mut tx, Locked::Customer, id).await?;
        let before = editable(&mut tx, id).await?;
        if !before.emails.contains(&email) {
            return Err(not_theirs(&email));
        }
        if before.emails.first() == Some(&email) {
            tx.commit().await?;
            return Ok(before);
        }
        mark_primary(&mut tx, id, &email).await?;
        events::record(
            &mut tx,
            &now,
            actor,
            "customer",
            id,
            "customer.primary_email_changed",
            json!({ "primary_email": events::change(before.emails.first(), &email) }),
        )
        .await?;
        let customer = load(&mut tx, id).await?;
        tx.commit().await?;
        Ok(customer)
    }

    /// Changes an organization's name or notes.
    pub async fn update_organization(
        &self,
        id: i64,
        changes: OrganizationChanges<'_>,
        actor: Actor,
    ) -> StoreResult<Organization> {
        let name = changes
            .name
            .map(|name| validate::line("name", name, validate::MAX_NAME_CHARS))
            .transpose()?;
        let notes = changes.notes.map(|n| n.map(validate::notes).transpose());
        let notes = notes.transpose()?.map(Option::flatten);
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let row = sqlx::query("SELECT name, notes FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::not_found("organization", id))?;
        let (old_name, old_notes) = (text(&row, "name")?, opt_text(&row, "notes")?);
        let mut recorded = Map::new();
        if let Some(name) = name.filter(|name| *name != old_name) {
            sqlx::query("UPDATE organizations SET name = $1 WHERE id = $2")
                .bind(&name)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            recorded.insert("name".to_owned(), events::change(&old_name, &name));
        }
        if let Some(notes) = notes.filter(|notes| *notes != old_notes) {
            sqlx::query("UPDATE organizations SET notes = $1 WHERE id = $2")
                .bind(notes.as_deref())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            recorded.insert("notes".to_owned(), events::change(&old_notes, &notes));
        }
        if !recorded.is_empty() {
            events::record(
                &mut tx,
                &now,
                actor,
                "organization",
                id,
                "organization.updated",
                Value::Object(recorded),
            )
            .await?;
        }
        tx.commit().await?;
        self.organization(id).await
    }

    /// Adds a mail domain to an organization. Its customers-to-be at that domain join it when
    /// they are created; those already here with an address at it and no organization join it
    /// now, each with an event in their history. A domain belongs to one organization, and a
    /// public mail service's (gmail.com) to none.
    pub async fn add_organization_domain(
        &self,
        id: i64,
        domain: &str,
        actor: Actor,
    ) -> StoreResult<DomainAdded> {
        let domain = validate::organization_domain(domain)?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let name: String = sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or_else(|| StoreError::not_found("organization", id))?;
        let owner: Option<i64> = sqlx::query_scalar(
            "SELECT organization_id FROM organization_domains WHERE domain = $1",
        )
        .bind(&domain)
        .fetch_optional(&mut *tx)
        .await?;
        match owner {
            Some(owner) if owner == id => {
                return Err(StoreError::Conflict {
                    code: "domain_already_theirs",
                    message: format!("{domain} is already one of {name}'s domains."),
                });
            }
            Some(owner) => {
                let other: String =
                    sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
                        .bind(owner)
                        .fetch_one(&mut *tx)
                        .await?;
                return Err(domain_taken(&domain, Some(&other)));
            }
            None => {}
        }
        let inserted = sqlx::query(
            "INSERT INTO organization_domains (domain, organization_id) VALUES ($1, $2)",
        )
        .bind(&domain)
        .bind(id)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(sqlx::Error::Database(err)) if err.is_unique_violation() => {
                return Err(domain_taken(&domain, None));
            }
            other => other?,
        };
        // Customers with an address at the domain and no organization yet; merged records
        // stay as they are. On PostgreSQL their rows are held against a concurrent edit.
        let lock = if self.backend == crate::Backend::Postgres {
            " FOR UPDATE"
        } else {
            ""
        };
        let pattern = format!("%@{}", crate::rows::like_escaped(&domain));
        let attached: Vec<i64> = sqlx::query_scalar(&format!(
            "SELECT id FROM customers WHERE organization_id IS NULL AND merged_into IS NULL AND id IN \
             (SELECT customer_id FROM customer_emails WHERE email LIKE $1 ESCAPE '\\') ORDER BY id{lock}"
        ))
        .bind(&pattern)
        .fetch_all(&mut *tx)
        .await?;
        for customer in &attached {
            let joined = sqlx::query(
                "UPDATE customers SET organization_id = $1 WHERE id = $2 AND organization_id IS NULL",
            )
            .bind(id)
            .bind(customer)
            .execute(&mut *tx)
            .await?;
            if joined.rows_affected() == 0 {
                continue;
            }
            events::record(
                &mut tx,
                &now,
                actor,
                "customer",
                *customer,
                "customer.joined_organization",
                json!({
                    "organization_id": events::change(None::<i64>, id),
                    "organization": events::change(None::<String>, &name),
                    "domain": events::change(None::<String>, &domain),
                }),
            )
            .await?;
        }
        events::record(
            &mut tx,
            &now,
            actor,
            "organization",
            id,
            "organization.domain_added",
            json!({
                "domain": events::change(None::<String>, &domain),
                "attached_customers": events::change(None::<Vec<i64>>, &attached),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(DomainAdded {
            organization: self.organization(id).await?,
            attached_customers: attached,
        })
    }

    /// Removes a mail domain from an organization. Its customers stay in it; new customers at
    /// the domain no longer join it.
    pub async fn remove_organization_domain(
        &self,
        id: i64,
        domain: &str,
        actor: Actor,
    ) -> StoreResult<Organization> {
        let domain = validate::domain(domain).map_err(|err| {
            StoreError::Invalid(rapport_domain::Invalid::new("domain", err.message))
        })?;
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        exists.ok_or_else(|| StoreError::not_found("organization", id))?;
        let removed = sqlx::query(
            "DELETE FROM organization_domains WHERE domain = $1 AND organization_id = $2",
        )
        .bind(&domain)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if removed.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                entity: "organization domain",
                id: domain,
            });
        }
        events::record(
            &mut tx,
            &now,
            actor,
            "organization",
            id,
            "organization.domain_removed",
            json!({ "domain": events::change(&domain, None::<String>) }),
        )
        .await?;
        tx.commit().await?;
        self.organization(id).await
    }

    /// An organization's customers (merged records left out), by name, with the address we
    /// write to.
    pub async fn organization_members(&self, id: i64) -> StoreResult<Vec<Member>> {
        self.organization(id).await?;
        let rows = sqlx::query(
            "SELECT c.id, c.name, (SELECT e.email FROM customer_emails e WHERE e.customer_id = c.id \
             ORDER BY e.is_primary DESC, e.created_at, e.email LIMIT 1) AS email \
             FROM customers c WHERE c.organization_id = $1 AND c.merged_into IS NULL ORDER BY c.name, c.id",
        )
        .bind(id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Member {
                    id: int(row, "id")?,
                    name: text(row, "name")?,
                    email: opt_text(row, "email")?,
                })
            })
            .collect()
    }

    /// Every organization's id and name, by name: the choices of a customer's organization.
    pub async fn organization_choices(&self) -> StoreResult<Vec<(i64, String)>> {
        let rows = sqlx::query("SELECT id, name FROM organizations ORDER BY name, id")
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| Ok((int(row, "id")?, text(row, "name")?)))
            .collect()
    }
}

/// A customer who may be edited: one that exists and was not merged into another.
async fn editable(tx: &mut Tx, id: i64) -> StoreResult<Customer> {
    let customer = load(tx, id).await?;
    if let Some(into) = customer.merged_into {
        return Err(StoreError::Conflict {
            code: "customer_merged",
            message: format!(
                "customer {id} was merged into customer {into}; change that one instead."
            ),
        });
    }
    Ok(customer)
}

async fn organization_name(tx: &mut Tx, id: Option<i64>) -> StoreResult<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    let row = sqlx::query("SELECT name FROM organizations WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|row| text(&row, "name")).transpose()
}

async fn mark_primary(tx: &mut Tx, id: i64, email: &str) -> StoreResult<()> {
    sqlx::query("UPDATE customer_emails SET is_primary = CASE WHEN email = $1 THEN 1 ELSE 0 END WHERE customer_id = $2")
        .bind(email)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn email_taken(email: &str, owner: Option<(i64, &str)>) -> StoreError {
    let whose = match owner {
        Some((id, name)) => format!("{name} (customer {id})"),
        None => "another customer".to_owned(),
    };
    StoreError::Conflict {
        code: "email_taken",
        message: format!(
            "{email} already belongs to {whose}, and an address belongs to one customer only. \
             If they are the same person, merge the two customers; otherwise remove the address \
             from the other customer first."
        ),
    }
}

fn domain_taken(domain: &str, owner: Option<&str>) -> StoreError {
    let whose = owner.unwrap_or("another organization");
    StoreError::Conflict {
        code: "domain_taken",
        message: format!(
            "{domain} already belongs to {whose}, and a domain belongs to one organization only: \
             remove it there first if it should move."
        ),
    }
}

fn not_theirs(email: &str) -> StoreError {
    StoreError::NotFound {
        entity: "customer email",
        id: email.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clash_names_the_owner_and_what_to_do() {
        let err = email_taken("ana@example.com", Some((4, "Ana Apfel")));
        let message = err.to_string();
        assert!(message.contains("Ana Apfel (customer 4)"), "{message}");
        assert!(message.contains("merge"), "{message}");
    }
}
