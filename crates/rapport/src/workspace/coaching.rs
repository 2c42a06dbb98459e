//! Coaching pages: `/agents/{id}/coaching` (one agent's last twelve weeks with the coach: the
//! weekly average score and problems found as SVG column charts with a table of the same
//! numbers, the findings that recur most, and their best and worst replies, each a link) and
//! `/teams/{id}/coaching` (the team's trend, each member's line, the team's recurring
//! findings). An agent sees their own page only; a supervisor also their reports' and their
//! teams' members' pages and their teams' pages; an admin every page.

use super::chart::{Columns, Lines, sparkline};
use crate::app::App;
use crate::pages::{PageError, PageResult, SignedIn, render};
use askama::Template;
use axum::extract::{Path, State};
use rapport_coach::FindingKind;
use rapport_domain::{Agent, Role, Team};
use rapport_store::coaching::{Bucket, CoachingReport, FacetAverages, ReplyExample};
use std::collections::BTreeMap;
use time::{Date, Duration};

/// How many weeks the pages look back, and how many example replies of each kind they show.
const WEEKS: i64 = 12;
const EXAMPLES: usize = 3;

/// The finding kinds in words for a team leader.
fn finding_words(kind: &str) -> String {
    let words = match FindingKind::from_name(kind) {
        Some(FindingKind::ClosureThreat) => "threatening to close the ticket",
        Some(FindingKind::Blame) => "blaming the customer",
        Some(FindingKind::PolicyWall) => "hiding behind a policy",
        Some(FindingKind::Deflection) => "passing the problem on",
        Some(FindingKind::NoEmpathyWhenUpset) => "no empathy for an upset customer",
        Some(FindingKind::UnansweredConcern) => "a concern left unanswered",
        Some(FindingKind::NoNextStep) => "no next step",
        Some(FindingKind::Jargon) => "jargon",
        Some(FindingKind::Condescension) => "condescension",
        Some(FindingKind::NoPersonalAddress) => "no personal address",
        Some(FindingKind::PromiseUnmentioned) => "an open promise not mentioned",
        Some(FindingKind::OwnershipTaken) => "taking ownership",
        Some(FindingKind::Apology) => "a sincere apology",
        Some(FindingKind::EmpathyShown) => "empathy shown",
        Some(FindingKind::AlternativeOffered) => "an alternative offered",
        Some(FindingKind::PersonalTouch) => "a personal touch",
        None => return kind.replace('_', " "),
    };
    words.to_owned()
}

fn is_positive(kind: &str) -> bool {
    FindingKind::from_name(kind).is_some_and(FindingKind::is_positive)
}

/// The twelve weeks shown, as their Mondays, and the days they cover (`from` inclusive, `to`
/// exclusive).
struct Weeks {
    mondays: Vec<Date>,
    from: Date,
    to: Date,
}

impl Weeks {
    fn ending(today: Date) -> Weeks {
        let this_monday =
            today - Duration::days(i64::from(today.weekday().number_days_from_monday()));
        let from = this_monday - Duration::weeks(WEEKS - 1);
        Weeks {
            mondays: (0..WEEKS).map(|i| from + Duration::weeks(i)).collect(),
            from,
            to: today + Duration::days(1),
        }
    }
}

fn short_day(day: Date) -> String {
    format!("{} {}", &format!("{}", day.month())[..3], day.day())
}

/// A day as a page says it: "21 Sep 2026".
fn long_day(day: Date) -> String {
    format!(
        "{} {} {}",
        day.day(),
        &format!("{}", day.month())[..3],
        day.year()
    )
}

/// A week of a report, one table row.
struct WeekRow {
    monday: String,
    label: String,
    replies: i64,
    score: String,
    problems: i64,
    /// Politeness, empathy, ownership and clarity, in words.
    facets: [String; 4],
}

struct Trend {
    rows: Vec<WeekRow>,
    scores: Vec<Option<f64>>,
    charts: Vec<Columns>,
    facets: Lines,
}

fn trend(
    report: &CoachingReport,
    facets: &BTreeMap<String, FacetAverages>,
    weeks: &Weeks,
    whose: &str,
) -> Trend {
    let by_start: BTreeMap<&str, _> = report
        .periods
        .iter()
        .map(|period| (period.start.as_str(), period))
        .collect();
    let mut rows = Vec::new();
    let mut scores = Vec::new();
    for monday in &weeks.mondays {
        let key = format!("{monday}");
        let period = by_start.get(key.as_str());
        let problems = period.map_or(0, |p| {
            p.findings
                .iter()
                .filter(|(kind, _)| !is_positive(kind))
                .map(|(_, n)| *n)
                .sum()
        });
        let average = period.and_then(|p| p.average_score);
        scores.push(average);
        let week_facets = facets.get(&key);
        let facet_words = |pick: fn(&FacetAverages) -> f64| {
            week_facets.map_or_else(|| "none".to_owned(), |f| format!("{}", pick(f)))
        };
        rows.push(WeekRow {
            label: short_day(*monday),
            monday: key,
            replies: period.map_or(0, |p| p.replies),
            score: average.map_or_else(|| "no score".to_owned(), |s| format!("{s}")),
            problems,
            facets: [
                facet_words(|f| f.politeness),
                facet_words(|f| f.empathy),
                facet_words(|f| f.ownership),
                facet_words(|f| f.clarity),
            ],
        });
    }
    let charts = vec![
        Columns::new(
            "score-trend",
            "Average score per week",
            &format!("The coach's average score of {whose} replies, week by week, out of 100."),
            Some(100.0),
            rows.iter()
                .zip(&scores)
                .map(|(row, score)| (row.label.clone(), *score, row.score.clone()))
                .collect(),
        ),
        Columns::new(
            "problem-trend",
            "Problems found per week",
            &format!("How many problems the coach found in {whose} replies, week by week."),
            None,
            rows.iter()
                .map(|row| {
                    (
                        row.label.clone(),
                        Some(row.problems as f64),
                        row.problems.to_string(),
                    )
                })
                .collect(),
        ),
    ];
    let facet_series = |pick: fn(&FacetAverages) -> f64| {
        weeks
            .mondays
            .iter()
            .map(|monday| facets.get(&format!("{monday}")).map(pick))
            .collect::<Vec<_>>()
    };
    let facets = Lines::new(
        "facet-trend",
        "The four facets per week",
        &format!(
            "The average politeness, empathy, ownership and clarity of {whose} replies, week by week, out of 100; 50 is neutral."
        ),
        rows.iter().map(|row| row.label.clone()).collect(),
        vec![
            ("Politeness", "#3b6ea5", "", facet_series(|f| f.politeness)),
            ("Empathy", "#b5562b", "6 3", facet_series(|f| f.empathy)),
            ("Ownership", "#2e7d4f", "2 3", facet_series(|f| f.ownership)),
            ("Clarity", "#7a4fa0", "8 3 2 3", facet_series(|f| f.clarity)),
        ],
    );
    Trend {
        rows,
        scores,
        charts,
        facets,
    }
}

/// A finding kind and how often it came up.
struct Recurring {
    words: String,
    count: i64,
}

/// The five problems and the five strengths found most often, most first.
fn recurring(report: &CoachingReport) -> (Vec<Recurring>, Vec<Recurring>) {
    let mut all: Vec<(&String, &i64)> = report.findings.iter().collect();
    all.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let pick = |positive: bool| {
        all.iter()
            .filter(|(kind, _)| is_positive(kind) == positive)
            .take(5)
            .map(|(kind, count)| Recurring {
                words: finding_words(kind),
                count: **count,
            })
            .collect()
    };
    (pick(false), pick(true))
}

/// Whether `viewer` may read `agent`'s coaching: themselves; an admin; a supervisor for the
/// agents who report to them and the members of their teams.
async fn may_coach(app: &App, viewer: &Agent, agent: &Agent) -> PageResult<bool> {
    if viewer.id == agent.id || viewer.role.includes(Role::Admin) {
        return Ok(true);
    }
    if !viewer.role.includes(Role::Supervisor) {
        return Ok(false);
    }
    if agent.reports_to == Some(viewer.id) {
        return Ok(true);
    }
    Ok(app
        .store
        .teams()
        .await?
        .iter()
        .any(|team| team.member_ids.contains(&viewer.id) && team.member_ids.contains(&agent.id)))
}

/// The teams whose coaching page `viewer` may open: all for an admin, their own for a
/// supervisor, none for an agent.
fn coachable_teams(viewer: &Agent, teams: Vec<Team>) -> Vec<Team> {
    if viewer.role.includes(Role::Admin) {
        return teams;
    }
    if !viewer.role.includes(Role::Supervisor) {
        return vec![];
    }
    teams
        .into_iter()
        .filter(|team| team.member_ids.contains(&viewer.id))
        .collect()
}

struct ExampleView {
    ticket_id: i64,
    score: i64,
    day: String,
    excerpt: String,
}

/// Of `examples`, those on tickets `viewer` may open, and whether any were left out.
async fn visible_examples(
    app: &App,
    viewer: &Agent,
    mut examples: Vec<ReplyExample>,
) -> PageResult<(Vec<ReplyExample>, bool)> {
    let before = examples.len();
    app.store
        .retain_visible(viewer, &mut examples, |example| Some(example.ticket_id))
        .await?;
    let hidden = examples.len() < before;
    Ok((examples, hidden))
}

fn example_view(example: ReplyExample) -> ExampleView {
    ExampleView {
        ticket_id: example.ticket_id,
        score: example.score,
        day: example.created_at.get(..10).unwrap_or_default().to_owned(),
        excerpt: example.excerpt,
    }
}

/// The best and the worst replies, never the same one in both: with few replies, the better
/// half are the best and the rest the worst.
fn best_and_worst(
    best: Vec<ReplyExample>,
    worst: Vec<ReplyExample>,
) -> (Vec<ExampleView>, Vec<ExampleView>) {
    let mut ids: Vec<i64> = best
        .iter()
        .chain(&worst)
        .map(|example| example.message_id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let best: Vec<ReplyExample> = best
        .into_iter()
        .take(EXAMPLES.min(ids.len().div_ceil(2)))
        .collect();
    let worst = worst
        .into_iter()
        .filter(|example| !best.iter().any(|b| b.message_id == example.message_id))
        .take(EXAMPLES)
        .map(example_view)
        .collect();
    (best.into_iter().map(example_view).collect(), worst)
}

#[derive(Template)]
#[template(path = "workspace/coaching.html")]
struct AgentCoachingPage {
    agent: Agent,
    csrf: String,
    query: String,
    person: Agent,
    own: bool,
    from: String,
    to: String,
    replies: i64,
    average: String,
    rows: Vec<WeekRow>,
    charts: Vec<Columns>,
    facets: Lines,
    problems: Vec<Recurring>,
    strengths: Vec<Recurring>,
    best: Vec<ExampleView>,
    worst: Vec<ExampleView>,
    hidden_examples: bool,
    teams: Vec<Team>,
}

pub async fn show_agent(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> PageResult {
    let viewer = signed_in.agent;
    let person = app.store.agent(id).await?;
    if !may_coach(&app, &viewer, &person).await? {
        return Err(PageError::forbidden(
            "You can read your own coaching page; another agent's is for their supervisor and admins.",
        ));
    }
    let calendar = app.store.calendar().await?;
    let weeks = Weeks::ending(calendar.today(app.store.clock().now()));
    let report = app
        .store
        .coaching(&[id], weeks.from, weeks.to, Bucket::Week)
        .await?;
    let own = viewer.id == person.id;
    let whose = if own {
        "your".to_owned()
    } else {
        format!("{}'s", person.name)
    };
    let facets = app.store.facet_trend(&[id], weeks.from, weeks.to).await?;
    let trend = trend(&report, &facets, &weeks, &whose);
    let (problems, strengths) = recurring(&report);
    let examples = app
        .store
        .coaching_examples(id, weeks.from, weeks.to, EXAMPLES * 4)
        .await?;
    let (best, best_hidden) = visible_examples(&app, &viewer, examples.best).await?;
    let (worst, worst_hidden) = visible_examples(&app, &viewer, examples.worst).await?;
    let (best, worst) = best_and_worst(best, worst);
    let teams = coachable_teams(&viewer, app.store.teams().await?)
        .into_iter()
        .filter(|team| team.member_ids.contains(&person.id))
        .collect();
    Ok(render(&AgentCoachingPage {
        csrf: signed_in.csrf,
        query: String::new(),
        own,
        from: long_day(weeks.from),
        to: long_day(weeks.to - Duration::days(1)),
        replies: report.replies,
        average: report
            .average_score
            .map_or_else(|| "no score yet".to_owned(), |s| format!("{s}")),
        rows: trend.rows,
        charts: trend.charts,
        facets: trend.facets,
        problems,
        strengths,
        best,
        worst,
        hidden_examples: best_hidden || worst_hidden,
        teams,
        person,
        agent: viewer,
    }))
}

/// One member's line on a team's page.
struct MemberLine {
    id: i64,
    name: String,
    replies: i64,
    average: String,
    points: String,
    scores: String,
}

#[derive(Template)]
#[template(path = "workspace/team_coaching.html")]
struct TeamCoachingPage {
    agent: Agent,
    csrf: String,
    query: String,
    team: Team,
    from: String,
    to: String,
    replies: i64,
    average: String,
    rows: Vec<WeekRow>,
    charts: Vec<Columns>,
    facets: Lines,
    problems: Vec<Recurring>,
    strengths: Vec<Recurring>,
    members: Vec<MemberLine>,
}

pub async fn show_team(
    State(app): State<App>,
    signed_in: SignedIn,
    Path(id): Path<i64>,
) -> PageResult {
    let viewer = signed_in.agent;
    let team = app
        .store
        .teams()
        .await?
        .into_iter()
        .find(|team| team.id == id)
        .ok_or_else(|| PageError::not_found(format!("There is no team #{id}.")))?;
    if coachable_teams(&viewer, vec![team.clone()]).is_empty() {
        return Err(PageError::forbidden(
            "A team's coaching page is for the supervisors in the team and admins; your own is under Coaching.",
        ));
    }
    let calendar = app.store.calendar().await?;
    let weeks = Weeks::ending(calendar.today(app.store.clock().now()));
    let report = app
        .store
        .coaching(&team.member_ids, weeks.from, weeks.to, Bucket::Week)
        .await?;
    let facets = app
        .store
        .facet_trend(&team.member_ids, weeks.from, weeks.to)
        .await?;
    let trend = trend(&report, &facets, &weeks, "the team's");
    let (problems, strengths) = recurring(&report);
    let mut members = Vec::new();
    for member_id in &team.member_ids {
        let member = app.store.agent(*member_id).await?;
        let one = app
            .store
            .coaching(&[*member_id], weeks.from, weeks.to, Bucket::Week)
            .await?;
        let line = self::trend(&one, &BTreeMap::new(), &weeks, "their");
        members.push(MemberLine {
            id: member.id,
            name: member.name,
            replies: one.replies,
            average: one
                .average_score
                .map_or_else(|| "no score".to_owned(), |s| format!("{s}")),
            points: sparkline(&line.scores, 100.0),
            scores: line
                .rows
                .iter()
                .map(|row| row.score.clone())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(render(&TeamCoachingPage {
        agent: viewer,
        csrf: signed_in.csrf,
        query: String::new(),
        team,
        from: long_day(weeks.from),
        to: long_day(weeks.to - Duration::days(1)),
        replies: report.replies,
        average: report
            .average_score
            .map_or_else(|| "no score yet".to_owned(), |s| format!("{s}")),
        rows: trend.rows,
        charts: trend.charts,
        facets: trend.facets,
        problems,
        strengths,
        members,
    }))
}
