//! `rapport bench`: generates a realistic workspace straight into an empty database (through
//! the store's batch inserts, so the search index is kept by its triggers as in production),
//! then times the queries behind the pages people wait for: each inbox view with every count,
//! the ticket page, the customer page, and search. Prints the rows per second of the
//! generation, a table of median and p99 per figure, and the query plans that read a whole
//! table of tickets or messages.

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use rapport_domain::search::SearchQuery;
use rapport_domain::{Agent, Role};
use rapport_store::Store;
use rapport_store::dump::{Cell, Shape, TABLES, Table};
use rapport_store::inbox::View;
use rapport_store::search::SearchFilter;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// What to generate: sizes follow the number of tickets, as in a help desk with many
/// customers who write a few times each.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub tickets: u64,
}

impl Size {
    fn customers(self) -> u64 {
        (self.tickets / 5).max(10)
    }
    fn organizations(self) -> u64 {
        (self.tickets / 50).max(2)
    }
}

const AGENTS: u64 = 100;
const TEAMS: u64 = 10;
/// Tickets written per transaction.
const BATCH: u64 = 500;

/// A small, fast, reproducible random source (xorshift64*), so that two runs generate the same
/// workspace.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// A number in `0..1`.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A rank in `0..n` drawn as words are in text: the `r`-th most common about `1/r` as often.
    fn zipf(&mut self, n: usize) -> usize {
        let rank = (n as f64).powf(self.unit()) as usize;
        rank.saturating_sub(1).min(n - 1)
    }
}

/// The vocabulary: common words of support mail first, then made-up words as the long tail.
fn vocabulary() -> Vec<String> {
    let common = "the to and a i of is it for you in on my that this we with not have be can \
        but your please our are was thanks help order account invoice printer password error \
        when again would like could there from about refund delivery update login email \
        payment issue problem working still since today yesterday customer service support \
        team reply ticket back know need time will just get any page screen phone call";
    let mut words: Vec<String> = common.split_whitespace().map(str::to_owned).collect();
    let syllables = [
        "ka", "lo", "mi", "ren", "tor", "va", "sel", "qui", "dor", "ban", "fi", "gul", "hex", "jo",
        "pra", "nu", "zel", "wim", "cro", "sta",
    ];
    let mut random = Random(7);
    while words.len() < 20_000 {
        let parts = 2 + random.below(3) as usize;
        let word: String = (0..parts)
            .map(|_| syllables[random.below(syllables.len() as u64) as usize])
            .collect();
        words.push(word);
    }
    words
}

fn text(random: &mut Random, vocabulary: &[String], words: usize) -> String {
    let mut out = String::with_capacity(words * 7);
    for n in 0..words {
        if n > 0 {
            out.push(if n % 14 == 0 { '\n' } else { ' ' });
        }
        out.push_str(&vocabulary[random.zipf(vocabulary.len())]);
    }
    out.push('.');
    out
}

/// Rows for one table, built by column name in the table's own column order.
struct Rows {
    table: &'static Table,
    shape: Shape,
    rows: Vec<Vec<Cell>>,
    written: u64,
}

impl Rows {
    async fn new(store: &Store, name: &str) -> anyhow::Result<Rows> {
        let table = TABLES
            .iter()
            .find(|t| t.name == name)
            .with_context(|| format!("no table {name}"))?;
        Ok(Rows {
            table,
            shape: store.shape(name).await?,
            rows: Vec::new(),
            written: 0,
        })
    }

    fn push(&mut self, cells: &[(&str, Cell)]) {
        let row = self
            .shape
            .columns
            .iter()
            .map(|column| {
                cells
                    .iter()
                    .find(|(name, _)| *name == column.name)
                    .map_or(Cell::Null, |(_, cell)| cell.clone())
            })
            .collect();
        self.rows.push(row);
    }

    async fn flush(&mut self, store: &Store) -> anyhow::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        store
            .insert_rows(self.table, &self.shape, &self.rows)
            .await?;
        store
            .set_late_columns(self.table, &self.shape, &self.rows)
            .await?;
        self.written += self.rows.len() as u64;
        self.rows.clear();
        Ok(())
    }
}

fn int(value: u64) -> Cell {
    Cell::Integer(value as i64)
}

fn txt(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

/// A time `seconds` after the workspace's first day, in the stored format.
fn at(seconds: u64) -> String {
    let start = time::macros::datetime!(2024-01-01 08:00 UTC);
    rapport_store::clock::format(start + time::Duration::seconds(seconds as i64))
}

fn bar(length: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(length).with_message(what.to_owned());
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Generates the workspace; returns the rows written and how long it took.
pub async fn generate(store: &Store, size: Size) -> anyhow::Result<(u64, Duration)> {
    if let Some((table, count)) = store.first_table_with_rows().await? {
        bail!(
            "the database is not empty ({table} has {count} rows); the benchmark writes a workspace of its own into an empty one"
        );
    }
    let started = Instant::now();
    let vocabulary = vocabulary();
    let mut random = Random(42);
    let span = 2 * 365 * 86_400u64;

    let mut agents = Rows::new(store, "agents").await?;
    for id in 1..=AGENTS {
        // 1 is the admin at the top; 2-10 supervisors report to them; agents to a supervisor.
        let (role, reports_to) = match id {
            1 => (Role::Admin, Cell::Null),
            2..=10 => (Role::Supervisor, int(1)),
            _ => (Role::Agent, int(2 + id % 9)),
        };
        agents.push(&[
            ("id", int(id)),
            ("email", txt(format!("agent{id}@bench.example"))),
            ("name", txt(format!("Agent {id}"))),
            ("role", txt(role.as_str())),
            ("reports_to", reports_to),
            ("created_at", txt(at(0))),
        ]);
    }
    agents.flush(store).await?;
    let mut teams = Rows::new(store, "teams").await?;
    let mut members = Rows::new(store, "team_members").await?;
    for team in 1..=TEAMS {
        teams.push(&[
            ("id", int(team)),
            ("name", txt(format!("Team {team}"))),
            ("created_at", txt(at(0))),
            // One restricted team, as a legal or security desk would be.
            ("restricted", int(u64::from(team == TEAMS))),
        ]);
    }
    for agent in 2..=AGENTS {
        members.push(&[
            ("team_id", int(1 + agent % TEAMS)),
            ("agent_id", int(agent)),
        ]);
    }
    teams.flush(store).await?;
    members.flush(store).await?;

    let organizations = size.organizations();
    let customers = size.customers();
    let mut orgs = Rows::new(store, "organizations").await?;
    let progress = bar(organizations + customers, "people");
    for id in 1..=organizations {
        orgs.push(&[
            ("id", int(id)),
            ("name", txt(format!("Org {id}"))),
            (
                "relationship_kind",
                txt(if id % 10 == 0 {
                    "partnership"
                } else {
                    "transactional"
                }),
            ),
            ("owner_id", int(2 + id % 9)),
            ("portal_shared", int(0)),
            ("created_at", txt(at(0))),
        ]);
        if orgs.rows.len() >= 2_000 {
            progress.inc(orgs.rows.len() as u64);
            orgs.flush(store).await?;
        }
    }
    progress.inc(orgs.rows.len() as u64);
    orgs.flush(store).await?;
    let mut people = Rows::new(store, "customers").await?;
    let mut emails = Rows::new(store, "customer_emails").await?;
    let first_names = [
        "Ana", "Bo", "Cy", "Dee", "Eli", "Fay", "Gus", "Hal", "Ida", "Jo",
    ];
    let last_names = [
        "Moss", "Reyes", "Okafor", "Lind", "Sato", "Novak", "Brandt", "Costa",
    ];
    for id in 1..=customers {
        let name = format!(
            "{} {} {id}",
            first_names[random.below(10) as usize],
            last_names[random.below(8) as usize]
        );
        people.push(&[
            ("id", int(id)),
            ("name", txt(name)),
            ("organization_id", int(1 + id % organizations)),
            ("created_at", txt(at(0))),
        ]);
        emails.push(&[
            (
                "email",
                txt(format!(
                    "customer{id}@org{}.example",
                    1 + id % organizations
                )),
            ),
            ("customer_id", int(id)),
            ("is_primary", int(0)),
            ("created_at", txt(at(0))),
        ]);
        if people.rows.len() >= 2_000 {
            progress.inc(people.rows.len() as u64);
            people.flush(store).await?;
            emails.flush(store).await?;
        }
    }
    progress.inc(people.rows.len() as u64);
    people.flush(store).await?;
    emails.flush(store).await?;
    progress.finish();

    let mut moments = Rows::new(store, "moments").await?;
    for customer in (1..=customers).step_by(10) {
        // A moment for one customer in ten, half of them to follow up on a day.
        let day = 1 + random.below(730);
        moments.push(&[
            ("id", int(1 + customer / 10)),
            ("customer_id", int(customer)),
            ("agent_id", int(11 + random.below(AGENTS - 10))),
            ("note", txt(text(&mut random, &vocabulary, 8))),
            (
                "follow_up_on",
                if customer % 20 == 1 {
                    txt(&at(day * 86_400)[..10])
                } else {
                    Cell::Null
                },
            ),
            ("created_at", txt(at(day * 86_400 - 86_400))),
        ]);
    }
    moments.flush(store).await?;

    let mut tickets = Rows::new(store, "tickets").await?;
    let mut messages = Rows::new(store, "messages").await?;
    let mut tags = Rows::new(store, "ticket_tags").await?;
    let mut events = Rows::new(store, "events").await?;
    let mut promises = Rows::new(store, "promises").await?;
    let mut calls = Rows::new(store, "calls").await?;
    let mut surveys = Rows::new(store, "surveys").await?;
    // Ids of the rows a ticket may have, counted as they are written.
    let (mut event_id, mut promise_id, mut call_id, mut survey_id) = (0u64, 0u64, 0u64, 0u64);
    let progress = bar(size.tickets, "tickets");
    let mut message_id = 0u64;
    for id in 1..=size.tickets {
        let customer = 1 + random.below(customers);
        let opened = span * id / size.tickets.max(1);
        // Most tickets are solved; a tenth are still being worked on.
        let roll = random.below(100);
        let (problem, conversation) = match roll {
            0..=79 => ("resolved", "waiting_on_customer"),
            80..=84 => ("closed_unresolved", "waiting_on_customer"),
            85..=88 => ("resolution_proposed", "waiting_on_customer"),
            89..=92 => ("open", "waiting_on_us"),
            93..=95 => ("open", "new"),
            96..=98 => ("open", "waiting_on_customer"),
            _ => ("open", "on_hold"),
        };
        let assignee =
            (conversation != "new" || random.below(2) == 0).then(|| 11 + random.below(AGENTS - 10));
        let team = assignee.map(|agent| 1 + agent % TEAMS);
        let words = 3 + random.below(6) as usize;
        let subject = text(&mut random, &vocabulary, words);
        let count = 3 + random.below(5);
        let updated = opened + count * 3_600;
        tickets.push(&[
            ("id", int(id)),
            ("subject", txt(subject.trim_end_matches('.'))),
            ("customer_id", int(customer)),
            ("organization_id", int(1 + customer % organizations)),
            ("team_id", team.map_or(Cell::Null, int)),
            ("assignee_id", assignee.map_or(Cell::Null, int)),
            (
                "priority",
                txt(["low", "normal", "normal", "normal", "high", "urgent"]
                    [random.below(6) as usize]),
            ),
            ("conversation", txt(conversation)),
            ("problem", txt(problem)),
            ("channel", txt("email")),
            ("created_at", txt(at(opened))),
            ("updated_at", txt(at(updated))),
        ]);
        // What happened to the ticket, as its history keeps it: opened, then (for most)
        // resolved.
        event_id += 1;
        events.push(&[
            ("id", int(event_id)),
            ("at", txt(at(opened))),
            ("actor_kind", txt("customer")),
            ("actor_id", int(customer)),
            ("entity", txt("ticket")),
            ("entity_id", int(id)),
            ("action", txt("ticket.created")),
            ("changes", txt("{}")),
        ]);
        if problem != "open" {
            event_id += 1;
            events.push(&[
                ("id", int(event_id)),
                ("at", txt(at(updated))),
                ("actor_kind", txt("agent")),
                ("actor_id", assignee.map_or(int(1), int)),
                ("entity", txt("ticket")),
                ("entity_id", int(id)),
                ("action", txt("ticket.updated")),
                (
                    "changes",
                    txt(format!("{{\"problem\":[\"open\",\"{problem}\"]}}")),
                ),
            ]);
        }
        let unfinished = matches!(problem, "open" | "resolution_proposed");
        // A promise on one ticket in ten: open while the ticket is, else kept (or broken).
        if let Some(agent) = assignee.filter(|_| random.below(10) == 0) {
            let status = if unfinished {
                "open"
            } else if random.below(10) == 0 {
                "broken"
            } else {
                "kept"
            };
            promise_id += 1;
            promises.push(&[
                ("id", int(promise_id)),
                ("customer_id", int(customer)),
                ("ticket_id", int(id)),
                ("agent_id", int(agent)),
                ("kind", txt("reply")),
                ("what", txt("We will write back with the result")),
                ("channel", txt("email")),
                ("due_at", txt(at(opened + 86_400))),
                ("status", txt(status)),
                (
                    "settled_at",
                    if unfinished {
                        Cell::Null
                    } else {
                        txt(at(updated))
                    },
                ),
                ("created_at", txt(at(opened + 3_600))),
            ]);
        }
        // A call on one ticket in twenty.
        if let Some(agent) = assignee.filter(|_| random.below(20) == 0) {
            call_id += 1;
            calls.push(&[
                ("id", int(call_id)),
                ("ticket_id", int(id)),
                ("customer_id", int(customer)),
                ("agent_id", int(agent)),
                ("direction", txt("outbound")),
                ("started_at", txt(at(opened + 7_200))),
                ("duration_seconds", int(60 + random.below(900))),
                ("summary", txt(text(&mut random, &vocabulary, 12))),
                ("created_at", txt(at(opened + 7_200))),
            ]);
        }
        // A satisfaction survey after one resolution in four, half of them answered.
        if problem == "resolved" && random.below(4) == 0 {
            let answered = random.below(2) == 0;
            survey_id += 1;
            surveys.push(&[
                ("id", int(survey_id)),
                ("customer_id", int(customer)),
                ("ticket_id", int(id)),
                ("kind", txt("csat")),
                ("token_hash", txt(format!("bench-survey-{id}"))),
                ("sent_at", txt(at(updated))),
                (
                    "answered_at",
                    if answered {
                        txt(at(updated + 86_400))
                    } else {
                        Cell::Null
                    },
                ),
                (
                    "score",
                    if answered {
                        int(1 + random.below(5))
                    } else {
                        Cell::Null
                    },
                ),
            ]);
        }
        if random.below(3) == 0 {
            tags.push(&[
                ("ticket_id", int(id)),
                (
                    "tag",
                    txt(["billing", "hardware", "login", "shipping", "bug"]
                        [random.below(5) as usize]),
                ),
            ]);
        }
        for n in 0..count {
            message_id += 1;
            let from_customer = n % 2 == 0;
            let internal = !from_customer && random.below(10) == 0;
            let words = 30 + random.below(170) as usize;
            let body = text(&mut random, &vocabulary, words);
            let html = rapport_domain::message::text_to_html(&body);
            messages.push(&[
                ("id", int(message_id)),
                ("ticket_id", int(id)),
                (
                    "author_kind",
                    txt(if from_customer { "customer" } else { "agent" }),
                ),
                (
                    "author_agent_id",
                    if from_customer {
                        Cell::Null
                    } else {
                        assignee.map_or(int(1), int)
                    },
                ),
                (
                    "author_customer_id",
                    if from_customer {
                        int(customer)
                    } else {
                        Cell::Null
                    },
                ),
                ("channel", txt(if internal { "note" } else { "email" })),
                (
                    "visibility",
                    txt(if internal { "internal" } else { "public" }),
                ),
                ("body_text", txt(body)),
                ("body_html", txt(html)),
                ("created_at", txt(at(opened + n * 3_600))),
            ]);
        }
        if id % BATCH == 0 || id == size.tickets {
            tickets.flush(store).await?;
            tags.flush(store).await?;
            messages.flush(store).await?;
            events.flush(store).await?;
            promises.flush(store).await?;
            calls.flush(store).await?;
            surveys.flush(store).await?;
            progress.set_position(id);
        }
    }
    progress.finish();
    store.reset_sequences().await?;
    let rows = agents.written
        + teams.written
        + members.written
        + orgs.written
        + people.written
        + emails.written
        + tickets.written
        + tags.written
        + messages.written
        + moments.written
        + events.written
        + promises.written
        + calls.written
        + surveys.written;
    Ok((rows, started.elapsed()))
}

/// One measured figure: how long each run took.
pub struct Figure {
    pub name: String,
    pub runs: Vec<Duration>,
}

impl Figure {
    fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.runs.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }
    pub fn median(&self) -> Duration {
        self.quantile(0.5)
    }
    pub fn p99(&self) -> Duration {
        self.quantile(0.99)
    }
    /// Runs per second, one after the other.
    pub fn throughput(&self) -> f64 {
        let total: Duration = self.runs.iter().sum();
        self.runs.len() as f64 / total.as_secs_f64().max(1e-9)
    }
}

async fn agent(store: &Store, id: i64) -> anyhow::Result<Agent> {
    Ok(store.agent(id).await?)
}

/// Times the pages' queries, `runs` times each (alternating tickets, customers, agents, words).
pub async fn measure(store: &Store, size: Size, runs: usize) -> anyhow::Result<Vec<Figure>> {
    let mut random = Random(99);
    let today = rapport_store::inbox::Today {
        end: rapport_store::clock::format(time::macros::datetime!(2026-01-02 00:00 UTC)),
        date: "2026-01-01".to_owned(),
    };
    let mut agents = Vec::new();
    for id in [11, 12, 13, 14, 15] {
        agents.push(agent(store, id).await?);
    }
    let vocabulary = vocabulary();
    let mut figures: Vec<Figure> = Vec::new();
    let mut record =
        |name: String, elapsed: Duration| match figures.iter_mut().find(|f| f.name == name) {
            Some(figure) => figure.runs.push(elapsed),
            None => figures.push(Figure {
                name,
                runs: vec![elapsed],
            }),
        };
    let progress = bar(runs as u64, "measuring");
    for run in 0..runs {
        let viewer = &agents[run % agents.len()];
        for &view in View::ALL {
            let started = Instant::now();
            store.inbox(viewer, view, &today).await?;
            let listed = started.elapsed();
            store.inbox_counts(viewer, &today).await?;
            let page = started.elapsed();
            record(format!("inbox {} + counts", view.as_str()), page);
            record(format!("  of which the lines of {}", view.as_str()), listed);
            record(
                "  of which the counts of all 8 views".to_owned(),
                page - listed,
            );
        }
        let ticket_id = 1 + random.below(size.tickets) as i64;
        let started = Instant::now();
        let ticket = store.ticket(ticket_id).await?;
        store.ticket_page(viewer, &ticket).await?;
        record("ticket page".to_owned(), started.elapsed());

        let customer_id = 1 + random.below(size.customers()) as i64;
        let started = Instant::now();
        let customer = store.customer(customer_id).await?;
        let page = store.customer_timeline(customer_id, None, 50).await?;
        store.visible_entries(viewer, page.entries).await?;
        store.panel(viewer, &customer).await?;
        record("customer page".to_owned(), started.elapsed());

        // A word of the long tail, and two of the middle of the vocabulary.
        let rare =
            &vocabulary[vocabulary.len() / 2 + random.below(vocabulary.len() as u64 / 2) as usize];
        let middle = |random: &mut Random| &vocabulary[150 + random.below(1_000) as usize];
        let two = format!("{} {}", middle(&mut random), middle(&mut random));
        for (name, words) in [
            ("search, a rare word", rare.clone()),
            ("search, two words", two),
        ] {
            let query = SearchQuery::parse(&words)?;
            let started = Instant::now();
            store
                .search(viewer, &query, &SearchFilter::default(), 0, 20)
                .await?;
            record(name.to_owned(), started.elapsed());
        }
        progress.inc(1);
    }
    progress.finish();
    Ok(figures)
}

fn ms(duration: Duration) -> String {
    format!("{:.2}", duration.as_secs_f64() * 1000.0)
}

/// The figures as a table.
pub fn table(figures: &[Figure]) -> String {
    let mut out = format!(
        "{:<36} {:>6} {:>12} {:>12} {:>10}\n",
        "figure", "runs", "median ms", "p99 ms", "per s"
    );
    for figure in figures {
        out.push_str(&format!(
            "{:<36} {:>6} {:>12} {:>12} {:>10.0}\n",
            figure.name,
            figure.runs.len(),
            ms(figure.median()),
            ms(figure.p99()),
            figure.throughput()
        ));
    }
    out
}

/// The whole benchmark, as `rapport bench` runs it.
pub async fn run(store: &Store, size: Size, runs: usize, again: bool) -> anyhow::Result<()> {
    if again {
        check_generated(store, size).await?;
    } else {
        generate_and_say(store, size).await?;
    }
    let figures = measure(store, size, runs).await?;
    println!("\n{}", table(&figures));

    let customers = size.customers();
    let progress = bar(customers, "health");
    let started = Instant::now();
    let recomputed = store
        .recompute_all_health(500, |done| progress.set_position(done))
        .await?;
    progress.finish();
    let took = started.elapsed();
    println!(
        "Health recomputed for all {recomputed} customers in {:.1} s ({:.0} customers/s).",
        took.as_secs_f64(),
        recomputed as f64 / took.as_secs_f64().max(1e-9)
    );

    let viewer = agent(store, 11).await?;
    let today = rapport_store::inbox::Today {
        end: rapport_store::clock::format(time::macros::datetime!(2026-01-02 00:00 UTC)),
        date: "2026-01-01".to_owned(),
    };
    let plans = store
        .query_plans(&viewer, &today, &SearchQuery::parse("printer error")?)
        .await?;
    let mut scans: HashMap<String, Vec<String>> = HashMap::new();
    for plan in &plans {
        let found = plan.full_scans(store.backend());
        if !found.is_empty() {
            scans.insert(
                plan.name.clone(),
                found.into_iter().map(str::to_owned).collect(),
            );
        }
    }
    if scans.is_empty() {
        println!(
            "Query plans: {} inbox, count and search queries, none reads a whole table of tickets or messages.",
            plans.len()
        );
    } else {
        println!("Query plans that read a whole table of tickets or messages:");
        for (name, lines) in scans {
            println!("  {name}: {}", lines.join("; "));
        }
    }
    Ok(())
}

/// For `--again`: the database holds a workspace this benchmark generated with `size`.
async fn check_generated(store: &Store, size: Size) -> anyhow::Result<()> {
    let generated = store.agent_by_email("agent11@bench.example").await.is_ok()
        && store.ticket(size.tickets as i64).await.is_ok()
        && store.ticket(size.tickets as i64 + 1).await.is_err();
    if !generated {
        bail!(
            "this database does not hold the workspace of `rapport bench --tickets {}`; run it once without --again to generate one",
            size.tickets
        );
    }
    println!(
        "Measuring the workspace generated before ({} tickets).",
        size.tickets
    );
    Ok(())
}

async fn generate_and_say(store: &Store, size: Size) -> anyhow::Result<()> {
    println!(
        "Generating {} tickets, {} customers, {} organizations, {AGENTS} agents in {TEAMS} teams ({:?}) ...",
        size.tickets,
        size.customers(),
        size.organizations(),
        store.backend()
    );
    let (rows, took) = generate(store, size).await?;
    println!(
        "Generated {rows} rows in {:.1} s: {:.0} rows/s (search index included).",
        took.as_secs_f64(),
        rows as f64 / took.as_secs_f64().max(1e-9)
    );
    // The statistics Rapport keeps at start and every hour (SQLite's PRAGMA optimize);
    // PostgreSQL's autovacuum would have analyzed a database this size.
    match store.backend() {
        rapport_store::Backend::Sqlite => store.optimize().await?,
        rapport_store::Backend::Postgres => store.analyze().await?,
    }
    Ok(())
}
