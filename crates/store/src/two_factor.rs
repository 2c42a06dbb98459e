//! Two-factor sign-in for agents: setting it up (a secret, confirmed by a first code, then
//! recovery codes), turning it off, and the second step of a sign-in. The rules (codes, the
//! window, what a sign-in needs) are in `rapport_domain::two_factor`; here they are loaded and
//! kept. A code is used at most once, on both databases, by conditional updates: the step it
//! belongs to must be later than the last one used, a recovery code must be unused, and a
//! waiting sign-in must still have attempts left.

use crate::agents::agent_from;
use crate::auth::SignInVia;
use crate::events;
use crate::rows::{int, named, opt_int, opt_text, text};
use crate::{Store, StoreError, StoreResult, Tx, secrets};
use rapport_domain::two_factor::{
    self as rules, CodeInput, CodeRefusal, PENDING_ATTEMPTS, PENDING_SECONDS, RECOVERY_CODES,
    SECRET_BYTES, SecondStep,
};
use rapport_domain::{Actor, Agent};
use serde_json::json;

/// An agent's two-factor sign-in as the account page and `GET /api/v1/me/two-factor` show it.
#[derive(Debug, Clone)]
pub struct TwoFactorStatus {
    /// When it was turned on; `None` while off.
    pub enabled_at: Option<String>,
    /// A set-up begun and not yet confirmed with a code.
    pub setup: Option<Enrollment>,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
}

/// What an agent adds to an authenticator app: the secret (base32) and the same as an address.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Enrollment {
    /// The secret to type into an authenticator app (base32).
    pub secret: String,
    /// The same as an `otpauth://` address, which apps also read from a QR code.
    pub otpauth_uri: String,
}

impl Enrollment {
    fn of(email: &str, secret: String) -> Enrollment {
        Enrollment {
            otpauth_uri: rules::otpauth_uri(email, &secret),
            secret,
        }
    }
}

/// A sign-in waiting for its second step, freshly begun: `token` goes to the browser's cookie
/// or the API client, and nowhere else.
#[derive(Debug, Clone)]
pub struct PendingStart {
    pub token: String,
    pub expires_at: String,
    /// For [`SecondStep::Enroll`]: the secret to set up.
    pub enrollment: Option<Enrollment>,
}

/// A sign-in waiting for its second step, as its page shows it.
#[derive(Debug, Clone)]
pub struct PendingSignIn {
    pub agent: Agent,
    pub step: SecondStep,
    /// For [`SecondStep::Enroll`]: the secret to set up.
    pub enrollment: Option<Enrollment>,
}

/// How a second step ended.
#[derive(Debug)]
pub enum SecondStepOutcome {
    /// The code was right: a new session, and the recovery codes when two-factor sign-in was
    /// set up just now (shown once; empty otherwise).
    SignedIn {
        agent: Agent,
        session: String,
        recovery_codes: Vec<String>,
    },
    /// The code was not accepted; the sign-in still waits (while it has attempts left).
    Refused { agent: Agent, refusal: CodeRefusal },
    /// No such waiting sign-in: unknown, expired, completed, or out of attempts.
    Expired,
}

/// Why turning two-factor sign-in off was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnOffRefusal {
    WrongPassword,
    Code(CodeRefusal),
}

/// What proved the second factor.
enum Factor {
    App,
    RecoveryCode,
}

impl Factor {
    fn name(&self) -> &'static str {
        match self {
            Factor::App => "app_code",
            Factor::RecoveryCode => "recovery_code",
        }
    }
}

/// An agent's row: the secret and what was used last.
struct Secret {
    bytes: Vec<u8>,
    base32: String,
    enabled: bool,
    last_used_step: Option<i64>,
}

async fn secret_in(tx: &mut Tx, agent_id: i64) -> StoreResult<Option<Secret>> {
    let row = sqlx::query(
        "SELECT secret, enabled_at, last_used_step FROM two_factor WHERE agent_id = $1",
    )
    .bind(agent_id)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let base32 = text(&row, "secret")?;
    let bytes = rules::from_base32(&base32)
        .ok_or_else(|| StoreError::Corrupt("a two-factor secret is not base32".to_owned()))?;
    Ok(Some(Secret {
        bytes,
        base32,
        enabled: opt_text(&row, "enabled_at")?.is_some(),
        last_used_step: opt_int(&row, "last_used_step")?,
    }))
}

/// Writes a fresh, unconfirmed secret for an agent (replacing an unconfirmed one).
async fn new_secret_in(tx: &mut Tx, agent_id: i64, now: &str) -> StoreResult<String> {
    let secret = rules::base32(&secrets::random_bytes::<SECRET_BYTES>());
    sqlx::query("DELETE FROM two_factor WHERE agent_id = $1 AND enabled_at IS NULL")
        .bind(agent_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO two_factor (agent_id, secret, created_at) VALUES ($1, $2, $3)")
        .bind(agent_id)
        .bind(&secret)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(secret)
}

fn already_on() -> StoreError {
    StoreError::Conflict {
        code: "two_factor_already_on",
        message: "Two-factor sign-in is already on for this agent. To use another device, turn it off and set it up again.".to_owned(),
    }
}

impl Store {
    /// Whether the workspace requires every agent to sign in with a second factor.
    pub async fn two_factor_required(&self) -> StoreResult<bool> {
        Ok(rules::required(
            self.setting(rules::REQUIRED_SETTING).await?.as_deref(),
        ))
    }

    /// What a sign-in of this agent needs after a right password (`None`: nothing more).
    pub async fn second_step_for(&self, agent_id: i64) -> StoreResult<Option<SecondStep>> {
        let enabled: Option<String> = sqlx::query_scalar(
            "SELECT enabled_at FROM two_factor WHERE agent_id = $1 AND enabled_at IS NOT NULL",
        )
        .bind(agent_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(rules::second_step(
            enabled.is_some(),
            self.two_factor_required().await?,
        ))
    }

    pub async fn two_factor_status(&self, agent: &Agent) -> StoreResult<TwoFactorStatus> {
        let row = sqlx::query("SELECT secret, enabled_at FROM two_factor WHERE agent_id = $1")
            .bind(agent.id)
            .fetch_optional(self.pool())
            .await?;
        let left: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE agent_id = $1 AND used_at IS NULL",
        )
        .bind(agent.id)
        .fetch_one(self.pool())
        .await?;
        let (enabled_at, setup) = match row {
            None => (None, None),
            Some(row) => match opt_text(&row, "enabled_at")? {
                Some(at) => (Some(at), None),
                None => (
                    None,
                    Some(Enrollment::of(&agent.email, text(&row, "secret")?)),
                ),
            },
        };
        Ok(TwoFactorStatus {
            enabled_at,
            setup,
            recovery_codes_left: left,
        })
    }

    /// Begins setting up two-factor sign-in: a new secret, which counts once a code from it is
    /// confirmed. Beginning again replaces a secret not yet confirmed.
    pub async fn start_two_factor(&self, agent: &Agent) -> StoreResult<Enrollment> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        if secret_in(&mut tx, agent.id)
            .await?
            .is_some_and(|s| s.enabled)
        {
            return Err(already_on());
        }
        let secret = new_secret_in(&mut tx, agent.id, &now).await?;
        events::record(
            &mut tx,
            &now,
            Actor::Agent(agent.id),
            "agent",
            agent.id,
            "two_factor.setup_started",
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(Enrollment::of(&agent.email, secret))
    }

    /// Confirms a set-up with a code from the app: two-factor sign-in is on, and the new
    /// recovery codes are returned (the only time they exist outside their digests).
    pub async fn confirm_two_factor(
        &self,
        agent_id: i64,
        code: &str,
    ) -> StoreResult<Result<Vec<String>, CodeRefusal>> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let secret = match secret_in(&mut tx, agent_id).await? {
            Some(secret) if secret.enabled => return Err(already_on()),
            Some(secret) => secret,
            None => {
                return Err(StoreError::Conflict {
                    code: "two_factor_not_started",
                    message: "Two-factor sign-in has not been set up yet: begin with POST /api/v1/me/two-factor, add the secret to your app, then confirm with its code.".to_owned(),
                });
            }
        };
        let actor = Actor::Agent(agent_id);
        let result = match self
            .accept_app_code(&mut tx, agent_id, &secret, code)
            .await?
        {
            Ok(()) => Ok(enable_in(&mut tx, actor, agent_id, &now, "account").await?),
            Err(refusal) => {
                refused_in(&mut tx, actor, agent_id, &now, refusal, "setup").await?;
                Err(refusal)
            }
        };
        tx.commit().await?;
        Ok(result)
    }

    /// Turns two-factor sign-in off, given the password and a code (from the app, or a
    /// recovery code). The secret and the recovery codes are deleted.
    pub async fn turn_off_two_factor(
        &self,
        agent_id: i64,
        password: &str,
        code: &str,
    ) -> StoreResult<Result<(), TurnOffRefusal>> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        let secret = match secret_in(&mut tx, agent_id).await? {
            Some(secret) if secret.enabled => secret,
            _ => {
                return Err(StoreError::Conflict {
                    code: "two_factor_not_on",
                    message: "Two-factor sign-in is not on for this agent, so there is nothing to turn off.".to_owned(),
                });
            }
        };
        let stored: Option<String> =
            sqlx::query_scalar("SELECT password_hash FROM agents WHERE id = $1")
                .bind(agent_id)
                .fetch_optional(&mut *tx)
                .await?
                .flatten();
        if !stored.is_some_and(|hash| secrets::verify_password(password, &hash)) {
            return Ok(Err(TurnOffRefusal::WrongPassword));
        }
        let actor = Actor::Agent(agent_id);
        match self
            .accept_code(&mut tx, actor, agent_id, &secret, code)
            .await?
        {
            Ok(_) => {
                delete_in(&mut tx, agent_id).await?;
                events::record(
                    &mut tx,
                    &now,
                    actor,
                    "agent",
                    agent_id,
                    "two_factor.disabled",
                    json!({ "enabled": events::change(true, false) }),
                )
                .await?;
                tx.commit().await?;
                Ok(Ok(()))
            }
            Err(refusal) => {
                refused_in(&mut tx, actor, agent_id, &now, refusal, "turning_off").await?;
                tx.commit().await?;
                Ok(Err(TurnOffRefusal::Code(refusal)))
            }
        }
    }

    /// After a right password, when the sign-in needs a second step: a waiting sign-in, with
    /// (to set up two-factor sign-in, when the workspace requires it) a fresh secret.
    pub async fn begin_second_step(
        &self,
        agent: &Agent,
        step: SecondStep,
        via: SignInVia,
    ) -> StoreResult<PendingStart> {
        let token = secrets::generate("rps_");
        let now = self.now();
        let expires_at = self.from_now(PENDING_SECONDS);
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM pending_sign_ins WHERE expires_at <= $1")
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        let enrollment = match step {
            SecondStep::Code => None,
            SecondStep::Enroll => {
                if secret_in(&mut tx, agent.id)
                    .await?
                    .is_some_and(|s| s.enabled)
                {
                    return Err(already_on());
                }
                let secret = new_secret_in(&mut tx, agent.id, &now).await?;
                Some(Enrollment::of(&agent.email, secret))
            }
        };
        sqlx::query(
            "INSERT INTO pending_sign_ins (id_hash, agent_id, step, via, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(secrets::digest(&token))
        .bind(agent.id)
        .bind(step.as_str())
        .bind(via.as_str())
        .bind(&expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(PendingStart {
            token,
            expires_at,
            enrollment,
        })
    }

    /// A waiting sign-in that can still be completed, for its page.
    pub async fn pending_sign_in(&self, token: &str) -> StoreResult<Option<PendingSignIn>> {
        let row = sqlx::query(
            "SELECT p.step, f.secret, f.enabled_at, a.id, a.email, a.name, a.role, a.reports_to, a.title, a.phone, a.created_at \
             FROM pending_sign_ins p JOIN agents a ON a.id = p.agent_id \
             LEFT JOIN two_factor f ON f.agent_id = p.agent_id \
             WHERE p.id_hash = $1 AND p.expires_at > $2 AND p.attempts < $3 AND a.deactivated_at IS NULL",
        )
        .bind(secrets::digest(token))
        .bind(self.now())
        .bind(PENDING_ATTEMPTS)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let agent = agent_from(&row)?;
        let step: SecondStep = named(&row, "step")?;
        let enrollment = match (step, opt_text(&row, "secret")?) {
            (SecondStep::Enroll, Some(secret)) if opt_text(&row, "enabled_at")?.is_none() => {
                Some(Enrollment::of(&agent.email, secret))
            }
            // Set up meanwhile elsewhere, or begun again: this sign-in cannot finish.
            (SecondStep::Enroll, _) => return Ok(None),
            (SecondStep::Code, _) => None,
        };
        Ok(Some(PendingSignIn {
            agent,
            step,
            enrollment,
        }))
    }

    /// The second step of a sign-in: the code (or, for a sign-in that must set up two-factor
    /// sign-in, the first code from the new secret). Each attempt uses one of the waiting
    /// sign-in's few; a right code ends it and starts a session.
    pub async fn complete_second_step(
        &self,
        token: &str,
        code: &str,
    ) -> StoreResult<SecondStepOutcome> {
        let now = self.now();
        let digest = secrets::digest(token);
        let mut tx = self.begin_write().await?;
        // Taking an attempt first, in one conditional update, bounds the guesses however many
        // arrive at once.
        let pending = sqlx::query(
            "UPDATE pending_sign_ins SET attempts = attempts + 1 \
             WHERE id_hash = $1 AND expires_at > $2 AND attempts < $3 RETURNING agent_id, step, via",
        )
        .bind(&digest)
        .bind(&now)
        .bind(PENDING_ATTEMPTS)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(pending) = pending else {
            return Ok(SecondStepOutcome::Expired);
        };
        let agent_id = int(&pending, "agent_id")?;
        let step: SecondStep = named(&pending, "step")?;
        let via = SignInVia::from_name(&text(&pending, "via")?);
        let agent = sqlx::query(
            "SELECT id, email, name, role, reports_to, title, phone, created_at FROM agents WHERE id = $1 AND deactivated_at IS NULL",
        )
        .bind(agent_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(agent) = agent.as_ref().map(agent_from).transpose()? else {
            return Ok(SecondStepOutcome::Expired);
        };
        let secret = match (step, secret_in(&mut tx, agent_id).await?) {
            (SecondStep::Code, Some(secret)) if secret.enabled => secret,
            (SecondStep::Enroll, Some(secret)) if !secret.enabled => secret,
            // Turned off, set up meanwhile, or begun again elsewhere: start over.
            _ => return Ok(SecondStepOutcome::Expired),
        };
        // Nobody is signed in yet; the agent's password was right, but the attempt may be anyone's.
        let actor = Actor::System;
        let accepted = match step {
            SecondStep::Code => self
                .accept_code(&mut tx, actor, agent_id, &secret, code)
                .await?
                .map(|factor| (factor, Vec::new())),
            SecondStep::Enroll => match self
                .accept_app_code(&mut tx, agent_id, &secret, code)
                .await?
            {
                Ok(()) => Ok((
                    Factor::App,
                    enable_in(
                        &mut tx,
                        Actor::Agent(agent_id),
                        agent_id,
                        &now,
                        via.as_str(),
                    )
                    .await?,
                )),
                Err(refusal) => Err(refusal),
            },
        };
        let (factor, recovery_codes) = match accepted {
            Ok(accepted) => accepted,
            Err(refusal) => {
                refused_in(&mut tx, actor, agent_id, &now, refusal, via.as_str()).await?;
                tx.commit().await?;
                return Ok(SecondStepOutcome::Refused { agent, refusal });
            }
        };
        let ended = sqlx::query("DELETE FROM pending_sign_ins WHERE id_hash = $1")
            .bind(&digest)
            .execute(&mut *tx)
            .await?;
        if ended.rows_affected() != 1 {
            return Ok(SecondStepOutcome::Expired);
        }
        let session = self
            .insert_session(
                &mut tx,
                agent_id,
                json!({ "via": via.as_str(), "second_factor": factor.name() }),
            )
            .await?;
        tx.commit().await?;
        Ok(SecondStepOutcome::SignedIn {
            agent,
            session,
            recovery_codes,
        })
    }

    /// An admin turns another agent's two-factor sign-in off (a lost phone and lost recovery
    /// codes); the agent sets it up again at the next sign-in if the workspace requires it.
    pub async fn reset_two_factor(&self, actor: Actor, agent_id: i64) -> StoreResult<bool> {
        let now = self.now();
        let mut tx = self.begin_write().await?;
        crate::agents::ensure_agent(&mut tx, "agent_id", agent_id).await?;
        let was_on = secret_in(&mut tx, agent_id)
            .await?
            .is_some_and(|secret| secret.enabled);
        delete_in(&mut tx, agent_id).await?;
        sqlx::query("DELETE FROM pending_sign_ins WHERE agent_id = $1")
            .bind(agent_id)
            .execute(&mut *tx)
            .await?;
        if was_on {
            events::record(
                &mut tx,
                &now,
                actor,
                "agent",
                agent_id,
                "two_factor.reset",
                json!({ "enabled": events::change(true, false) }),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(was_on)
    }

    /// A code from the app, used at most once: its step must be later than the last used, in
    /// one conditional update (so that two sign-ins racing with one code cannot both pass).
    async fn accept_app_code(
        &self,
        tx: &mut Tx,
        agent_id: i64,
        secret: &Secret,
        code: &str,
    ) -> StoreResult<Result<(), CodeRefusal>> {
        let CodeInput::Totp(digits) = rules::read_code(code) else {
            return Ok(Err(CodeRefusal::Malformed));
        };
        let unix = self.clock().now().unix_timestamp();
        let step = match rules::check_code(&secret.bytes, &digits, unix, secret.last_used_step) {
            Ok(step) => step,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let used = sqlx::query(
            "UPDATE two_factor SET last_used_step = $1 \
             WHERE agent_id = $2 AND secret = $3 AND (last_used_step IS NULL OR last_used_step < $1)",
        )
        .bind(step)
        .bind(agent_id)
        .bind(&secret.base32)
        .execute(&mut **tx)
        .await?;
        Ok(if used.rows_affected() == 1 {
            Ok(())
        } else {
            Err(CodeRefusal::Reused)
        })
    }

    /// A code from the app or an unused recovery code (which is used up, in the audit trail).
    async fn accept_code(
        &self,
        tx: &mut Tx,
        actor: Actor,
        agent_id: i64,
        secret: &Secret,
        code: &str,
    ) -> StoreResult<Result<Factor, CodeRefusal>> {
        let key = match rules::read_code(code) {
            CodeInput::Totp(_) => {
                return Ok(self
                    .accept_app_code(tx, agent_id, secret, code)
                    .await?
                    .map(|()| Factor::App));
            }
            CodeInput::Recovery(key) => key,
            CodeInput::Malformed => return Ok(Err(CodeRefusal::Malformed)),
        };
        let now = self.now();
        let hash = secrets::digest(&key);
        let used = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 WHERE agent_id = $2 AND code_hash = $3 AND used_at IS NULL",
        )
        .bind(&now)
        .bind(agent_id)
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
        if used.rows_affected() != 1 {
            let known: Option<String> = sqlx::query_scalar(
                "SELECT code_hash FROM recovery_codes WHERE agent_id = $1 AND code_hash = $2",
            )
            .bind(agent_id)
            .bind(&hash)
            .fetch_optional(&mut **tx)
            .await?;
            return Ok(Err(if known.is_some() {
                CodeRefusal::Reused
            } else {
                CodeRefusal::Wrong
            }));
        }
        let left: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM recovery_codes WHERE agent_id = $1 AND used_at IS NULL",
        )
        .bind(agent_id)
        .fetch_one(&mut **tx)
        .await?;
        events::record(
            tx,
            &now,
            actor,
            "agent",
            agent_id,
            "two_factor.recovery_code_used",
            json!({ "recovery_codes_left": left }),
        )
        .await?;
        Ok(Ok(Factor::RecoveryCode))
    }
}

/// Turns two-factor sign-in on for a confirmed secret, with new recovery codes (returned, and
/// stored as digests only).
async fn enable_in(
    tx: &mut Tx,
    actor: Actor,
    agent_id: i64,
    now: &str,
    via: &str,
) -> StoreResult<Vec<String>> {
    sqlx::query("UPDATE two_factor SET enabled_at = $1 WHERE agent_id = $2")
        .bind(now)
        .bind(agent_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM recovery_codes WHERE agent_id = $1")
        .bind(agent_id)
        .execute(&mut **tx)
        .await?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    while codes.len() < RECOVERY_CODES {
        let code = rules::recovery_code(secrets::random_bytes());
        if codes.contains(&code) {
            continue;
        }
        sqlx::query("INSERT INTO recovery_codes (agent_id, code_hash) VALUES ($1, $2)")
            .bind(agent_id)
            .bind(secrets::digest(&code.replace('-', "")))
            .execute(&mut **tx)
            .await?;
        codes.push(code);
    }
    events::record(
        tx,
        now,
        actor,
        "agent",
        agent_id,
        "two_factor.enabled",
        json!({
            "enabled": events::change(false, true),
            "via": via,
            "recovery_codes": RECOVERY_CODES,
        }),
    )
    .await?;
    Ok(codes)
}

async fn delete_in(tx: &mut Tx, agent_id: i64) -> StoreResult<()> {
    sqlx::query("DELETE FROM recovery_codes WHERE agent_id = $1")
        .bind(agent_id)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM two_factor WHERE agent_id = $1")
        .bind(agent_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A refused code, in the audit trail: why, and where (`during`: a sign-in's way in, `setup`,
/// `turning_off`). Never the code.
async fn refused_in(
    tx: &mut Tx,
    actor: Actor,
    agent_id: i64,
    now: &str,
    refusal: CodeRefusal,
    during: &str,
) -> StoreResult<()> {
    let reason = match refusal {
        CodeRefusal::Malformed => "malformed",
        CodeRefusal::Wrong => "wrong",
        CodeRefusal::Reused => "reused",
    };
    events::record(
        tx,
        now,
        actor,
        "agent",
        agent_id,
        "two_factor.code_refused",
        json!({ "reason": reason, "during": during }),
    )
    .await
}
