//! Mail intake: inbound mail from concurrent HTTP deliveries is stored in batches, one
//! transaction (and one disk sync) for all the mails waiting at that moment, instead of one
//! each. Every delivery still gets its own answer, and only after its batch is committed.

use rapport_store::mail_intake::{Ingested, ParsedMail};
use rapport_store::{Store, StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot};

/// At most this many mails share one transaction.
const MAX_BATCH: usize = 64;

struct Delivery {
    mail: ParsedMail,
    answer: oneshot::Sender<StoreResult<Ingested>>,
}

/// A handle on the intake task; cheap to clone.
#[derive(Clone)]
pub struct MailIntake {
    deliveries: mpsc::Sender<Delivery>,
    store: Store,
}

impl MailIntake {
    /// Starts the task that stores batches for `store`.
    pub fn start(store: Store) -> MailIntake {
        let (deliveries, mut waiting) = mpsc::channel::<Delivery>(1024);
        let writer = store.clone();
        tokio::spawn(async move {
            let store = writer;
            while let Some(first) = waiting.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match waiting.try_recv() {
                        Ok(next) => batch.push(next),
                        Err(_) => break,
                    }
                }
                let (mails, answers): (Vec<ParsedMail>, Vec<_>) =
                    batch.into_iter().map(|d| (d.mail, d.answer)).unzip();
                let results = store.ingest_emails(&mails).await;
                for (answer, result) in answers.into_iter().zip(results) {
                    // The sender may have gone (a closed connection); the mail is stored anyway.
                    let _ = answer.send(result);
                }
            }
        });
        MailIntake { deliveries, store }
    }

    /// Stores one mail; returns once it is committed. The caller parses the mail
    /// (`ParsedMail::read`) in its own task, and its files are written here, in the same task,
    /// so the writer only writes rows.
    pub async fn deliver(&self, mail: ParsedMail) -> StoreResult<Ingested> {
        self.store.keep_files(&mail).await?;
        let (answer, answered) = oneshot::channel();
        let stopped =
            || StoreError::Config("the mail intake has stopped; the mail was not stored".into());
        self.deliveries
            .send(Delivery { mail, answer })
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}
