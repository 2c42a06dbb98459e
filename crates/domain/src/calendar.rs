//! The workspace calendar: its time zone, opening hours per weekday and holidays.
//!
//! Rapport keeps every time in UTC; the calendar says what those times are where the team
//! works. "Today", "due today", a business day and a stretch of business hours (for service
//! levels) are all read through it, so a team in Berlin and a team in Sydney each see their
//! own day. Daylight saving is the time zone database's business: a local time that falls in
//! the hour skipped in spring is moved forward, one that occurs twice in autumn is the first.
//!
//! Stored as three workspace settings (see [`Calendar::from_stored`]); anything unreadable
//! falls back to the default (UTC, Monday to Friday 09:00-17:00, no holidays), so a damaged
//! setting never stops the clock.

use jiff::tz::TimeZone;
use std::fmt;
use time::{Date, Duration, Month, OffsetDateTime, Time, UtcOffset, Weekday};

/// The setting holding the IANA time zone name, such as `Europe/Berlin`.
pub const TIME_ZONE_SETTING: &str = "time_zone";
/// The setting holding the opening hours: seven entries, Monday first, separated by commas,
/// each `09:00-17:00` or empty for a closed day.
pub const BUSINESS_HOURS_SETTING: &str = "business_hours";
/// The setting holding the holidays: one per line, `2026-12-25 Christmas Day`.
pub const HOLIDAYS_SETTING: &str = "holidays";

pub const DEFAULT_TIME_ZONE: &str = "UTC";
const DEFAULT_HOURS: &str = "09:00-17:00,09:00-17:00,09:00-17:00,09:00-17:00,09:00-17:00,,";
/// The most holidays a workspace keeps (about ten years of a generous country's).
pub const MAX_HOLIDAYS: usize = 200;
/// Walking the calendar for a business day or a stretch of business time stops after this
/// many days; a week with no open day at all is refused when it is set.
const LOOK_AHEAD_DAYS: i64 = 3_700;

pub const WEEKDAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// When the team works on one weekday: from `opens` to `closes`, local time, the same day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hours {
    pub opens: Time,
    pub closes: Time,
}

impl fmt::Display for Hours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", clock_text(self.opens), clock_text(self.closes))
    }
}

/// A day the team does not work although its weekday is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub date: Date,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Calendar {
    zone_name: String,
    zone: TimeZone,
    /// Monday first.
    week: [Option<Hours>; 7],
    /// Sorted by date, each date once.
    holidays: Vec<Holiday>,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar::from_stored(None, None, None)
    }
}

/// `09:00` for a time of day.
pub fn clock_text(at: Time) -> String {
    format!("{:02}:{:02}", at.hour(), at.minute())
}

/// Reads `09:00` (or `9:00`) as a time of day.
pub fn parse_clock(text: &str) -> Option<Time> {
    let (hour, minute) = text.trim().split_once(':')?;
    let hour: u8 = hour.parse().ok()?;
    let minute: u8 = minute.parse().ok()?;
    if minute > 59 || hour > 24 || (hour == 24 && minute > 0) {
        return None;
    }
    // 24:00 is the end of the day; a closing time of midnight reads as 23:59:59.
    if hour == 24 {
        return Time::from_hms(23, 59, 59).ok();
    }
    Time::from_hms(hour, minute, 0).ok()
}

/// Reads `2026-12-25` as a date.
pub fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&year) {
        return None;
    }
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// The time zone named `name` in the bundled IANA database, if it exists.
pub fn time_zone(name: &str) -> Option<TimeZone> {
    let name = name.trim();
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    TimeZone::get(name).ok()
}

/// The names of every time zone a workspace can choose, sorted.
pub fn time_zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|name| name.to_string())
        .collect();
    names.sort();
    names
}

/// Reads one weekday's stored hours: `09:00-17:00`, or empty for closed.
pub fn parse_hours(text: &str) -> Result<Option<Hours>, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("closed") {
        return Ok(None);
    }
    let (opens, closes) = text
        .split_once('-')
        .ok_or_else(|| format!("“{text}” is not opening hours; write them as 09:00-17:00"))?;
    hours(opens, closes).map(Some)
}

/// Opening hours from the opening and closing times as people write them (`09:00`, `17:30`).
pub fn hours(opens: &str, closes: &str) -> Result<Hours, String> {
    let read = |text: &str| {
        parse_clock(text)
            .ok_or_else(|| format!("“{}” is not a time of day; write it as 09:00", text.trim()))
    };
    let (opens, closes) = (read(opens)?, read(closes)?);
    if closes <= opens {
        return Err(format!(
            "the day closes ({}) before it opens ({}); hours run within one day",
            clock_text(closes),
            clock_text(opens)
        ));
    }
    Ok(Hours { opens, closes })
}

/// Checks a whole week: at least one open day. Returns it as stored.
pub fn check_week(week: &[Option<Hours>; 7]) -> Result<String, String> {
    if week.iter().all(Option::is_none) {
        return Err("at least one weekday must be open".to_owned());
    }
    Ok(week
        .iter()
        .map(|day| day.map(|h| h.to_string()).unwrap_or_default())
        .collect::<Vec<_>>()
        .join(","))
}

/// Checks a list of holidays (at most [`MAX_HOLIDAYS`], names of at most 100 characters, each
/// date once). Returns them as stored, sorted by date.
pub fn check_holidays(holidays: &[Holiday]) -> Result<String, String> {
    if holidays.len() > MAX_HOLIDAYS {
        return Err(format!("a workspace keeps at most {MAX_HOLIDAYS} holidays"));
    }
    let mut sorted = holidays.to_vec();
    sorted.sort_by_key(|h| h.date);
    for pair in sorted.windows(2) {
        if pair[0].date == pair[1].date {
            return Err(format!("{} is listed twice", pair[0].date));
        }
    }
    for holiday in &sorted {
        let name = holiday.name.trim();
        if name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(format!(
                "the name of the holiday on {} must be one line of at most 100 characters",
                holiday.date
            ));
        }
    }
    Ok(sorted
        .iter()
        .map(|h| {
            format!("{} {}", h.date, h.name.trim())
                .trim_end()
                .to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

/// Reads holidays as stored (or as an admin types them): one per line, the date first.
pub fn parse_holidays(text: &str) -> Result<Vec<Holiday>, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (date, name) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
            let date = parse_date(date).ok_or_else(|| {
                format!("“{date}” is not a date; write each holiday as 2026-12-25 Christmas Day")
            })?;
            Ok(Holiday {
                date,
                name: name.trim().to_owned(),
            })
        })
        .collect()
}

impl Calendar {
    /// The calendar from its stored settings; each unreadable one falls back to its default.
    pub fn from_stored(zone: Option<&str>, hours: Option<&str>, holidays: Option<&str>) -> Self {
        let (zone_name, zone) = zone
            .and_then(|name| time_zone(name).map(|zone| (name.trim().to_owned(), zone)))
            .unwrap_or_else(|| (DEFAULT_TIME_ZONE.to_owned(), TimeZone::UTC));
        let read_week = |text: &str| -> Option<[Option<Hours>; 7]> {
            let days: Vec<Option<Hours>> = text
                .split(',')
                .map(parse_hours)
                .collect::<Result<_, _>>()
                .ok()?;
            let week: [Option<Hours>; 7] = days.try_into().ok()?;
            check_week(&week).ok()?;
            Some(week)
        };
        let week = hours
            .and_then(read_week)
            .or_else(|| read_week(DEFAULT_HOURS))
            .unwrap_or([None; 7]);
        let mut holidays = holidays
            .and_then(|text| parse_holidays(text).ok())
            .unwrap_or_default();
        holidays.sort_by_key(|h| h.date);
        holidays.dedup_by_key(|h| h.date);
        Calendar {
            zone_name,
            zone,
            week,
            holidays,
        }
    }

    pub fn zone_name(&self) -> &str {
        &self.zone_name
    }

    /// Monday first.
    pub fn week(&self) -> &[Option<Hours>; 7] {
        &self.week
    }

    pub fn holidays(&self) -> &[Holiday] {
        &self.holidays
    }

    /// The zone's offset from UTC at the instant `at`.
    pub fn offset_at(&self, at: OffsetDateTime) -> UtcOffset {
        let seconds = jiff::Timestamp::from_second(at.unix_timestamp())
            .map(|instant| self.zone.to_offset(instant).seconds())
            .unwrap_or(0);
        UtcOffset::from_whole_seconds(seconds).unwrap_or(UtcOffset::UTC)
    }

    /// `at` as the team's clock reads it.
    pub fn local(&self, at: OffsetDateTime) -> OffsetDateTime {
        at.to_offset(self.offset_at(at))
    }

    /// The zone's short name at `at` (`CET`, `CEST`, `UTC`, or an offset such as `+0530`).
    pub fn abbreviation(&self, at: OffsetDateTime) -> String {
        jiff::Timestamp::from_second(at.unix_timestamp())
            .map(|instant| self.zone.to_offset_info(instant).abbreviation().to_owned())
            .unwrap_or_else(|_| "UTC".to_owned())
    }

    /// The instant the team's clock shows `time` on `date`. A time skipped by daylight saving
    /// moves forward; a time that occurs twice is the first.
    pub fn instant(&self, date: Date, time: Time) -> OffsetDateTime {
        let civil = jiff::civil::DateTime::new(
            date.year() as i16,
            date.month() as i8,
            date.day() as i8,
            time.hour() as i8,
            time.minute() as i8,
            time.second() as i8,
            0,
        );
        civil
            .ok()
            .and_then(|civil| self.zone.to_ambiguous_timestamp(civil).compatible().ok())
            .and_then(|instant| OffsetDateTime::from_unix_timestamp(instant.as_second()).ok())
            .unwrap_or_else(|| date.with_time(time).assume_utc())
    }

    /// The team's date at `now`.
    pub fn today(&self, now: OffsetDateTime) -> Date {
        self.local(now).date()
    }

    /// The instant the team's today ends (its next midnight), for "due today".
    pub fn end_of_today(&self, now: OffsetDateTime) -> OffsetDateTime {
        let today = self.today(now);
        let tomorrow = today.next_day().unwrap_or(today);
        self.instant(tomorrow, Time::MIDNIGHT)
    }

    /// The holiday on `date`, if it is one.
    pub fn holiday(&self, date: Date) -> Option<&Holiday> {
        self.holidays
            .binary_search_by_key(&date, |h| h.date)
            .ok()
            .map(|at| &self.holidays[at])
    }

    /// The opening hours on `date`: its weekday's, unless it is a holiday.
    pub fn hours_on(&self, date: Date) -> Option<Hours> {
        if self.holiday(date).is_some() {
            return None;
        }
        self.week[usize::from(date.weekday().number_days_from_monday())]
    }

    pub fn is_business_day(&self, date: Date) -> bool {
        self.hours_on(date).is_some()
    }

    /// Whether the team is at work at `at`.
    pub fn is_open_at(&self, at: OffsetDateTime) -> bool {
        let local = self.local(at);
        self.hours_on(local.date()).is_some_and(|hours| {
            let (opens, closes) = self.window(local.date(), hours);
            opens <= at && at < closes
        })
    }

    fn window(&self, date: Date, hours: Hours) -> (OffsetDateTime, OffsetDateTime) {
        (
            self.instant(date, hours.opens),
            self.instant(date, hours.closes),
        )
    }

    /// `days` business days after `from`, at the same time of the team's day. Business days
    /// are the open weekdays that are not holidays.
    pub fn add_business_days(&self, from: OffsetDateTime, days: i64) -> OffsetDateTime {
        let local = self.local(from);
        let mut date = local.date();
        let mut left = days;
        let mut walked = 0;
        while left > 0 && walked < LOOK_AHEAD_DAYS {
            let Some(next) = date.next_day() else { break };
            date = next;
            walked += 1;
            if self.is_business_day(date) {
                left -= 1;
            }
        }
        self.instant(date, local.time())
    }

    /// The business time between two instants: the part of `[from, to)` that falls within
    /// opening hours. Zero when `to` is not after `from`.
    pub fn business_time_between(&self, from: OffsetDateTime, to: OffsetDateTime) -> Duration {
        let mut total = Duration::ZERO;
        if to <= from {
            return total;
        }
        let mut date = self.local(from).date();
        let last = self.local(to).date();
        let mut walked = 0;
        while date <= last && walked < LOOK_AHEAD_DAYS {
            if let Some(hours) = self.hours_on(date) {
                let (opens, closes) = self.window(date, hours);
                let start = opens.max(from);
                let end = closes.min(to);
                if end > start {
                    total += end - start;
                }
            }
            let Some(next) = date.next_day() else { break };
            date = next;
            walked += 1;
        }
        total
    }

    /// The instant at which `business` time of opening hours has passed since `from`: a target
    /// of eight business hours set on Friday at 16:00 falls due on Monday at 16:00 in a
    /// 09:00-17:00 week.
    pub fn add_business_time(&self, from: OffsetDateTime, business: Duration) -> OffsetDateTime {
        let mut left = business;
        let mut date = self.local(from).date();
        let mut walked = 0;
        while walked < LOOK_AHEAD_DAYS {
            if let Some(hours) = self.hours_on(date) {
                let (opens, closes) = self.window(date, hours);
                let start = opens.max(from);
                if start < closes {
                    if left <= closes - start {
                        return start + left;
                    }
                    left -= closes - start;
                }
            }
            let Some(next) = date.next_day() else { break };
            date = next;
            walked += 1;
        }
        from + business
    }

    /// `at` as people read it on the team's clock: `Mon 7 Dec, 19:36 CET`.
    pub fn when(&self, at: OffsetDateTime) -> String {
        let local = self.local(at);
        format!(
            "{} {} {}, {:02}:{:02} {}",
            &local.weekday().to_string()[..3],
            local.day(),
            &local.month().to_string()[..3],
            local.hour(),
            local.minute(),
            self.abbreviation(at)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, time};

    fn berlin() -> Calendar {
        Calendar::from_stored(
            Some("Europe/Berlin"),
            None,
            Some("2026-12-25 Christmas Day\n2026-12-24"),
        )
    }

    #[test]
    fn the_default_is_utc_weekdays_nine_to_five() {
        let calendar = Calendar::default();
        assert_eq!(calendar.zone_name(), "UTC");
        assert_eq!(
            calendar.week()[0],
            Some(Hours {
                opens: time!(09:00),
                closes: time!(17:00)
            })
        );
        assert_eq!(calendar.week()[5], None);
        assert!(calendar.holidays().is_empty());
    }

    #[test]
    fn unreadable_settings_fall_back_to_the_defaults() {
        let calendar = Calendar::from_stored(Some("Mars/Olympus"), Some(",,,,,,"), Some("soon"));
        assert_eq!(calendar.zone_name(), "UTC");
        assert!(calendar.is_business_day(date!(2026 - 12 - 07)));
        assert!(calendar.holidays().is_empty());
    }

    #[test]
    fn today_is_the_team_s_date() {
        let calendar = Calendar::from_stored(Some("Pacific/Auckland"), None, None);
        // 20:00 UTC on Monday is already Tuesday morning in Auckland (UTC+13 in December).
        let now = datetime!(2026-12-07 20:00 UTC);
        assert_eq!(calendar.today(now), date!(2026 - 12 - 08));
        assert_eq!(calendar.end_of_today(now), datetime!(2026-12-08 11:00 UTC));
        assert_eq!(calendar.when(now), "Tue 8 Dec, 09:00 NZDT");
    }

    #[test]
    fn daylight_saving_moves_the_offset() {
        let calendar = berlin();
        assert_eq!(
            calendar.local(datetime!(2026-07-01 12:00 UTC)).hour(),
            14,
            "summer time"
        );
        assert_eq!(
            calendar.local(datetime!(2026-12-01 12:00 UTC)).hour(),
            13,
            "winter time"
        );
        // 02:30 does not exist on 29 March 2026 in Berlin: it moves forward to 03:30 CEST.
        assert_eq!(
            calendar.instant(date!(2026 - 03 - 29), time!(02:30)),
            datetime!(2026-03-29 01:30 UTC)
        );
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        let calendar = berlin();
        // Wednesday 23 December 2026, 10:00 in Berlin.
        let from = datetime!(2026-12-23 09:00 UTC);
        // Thursday 24 and Friday 25 are holidays, then the weekend: Monday 28 is the first.
        assert_eq!(
            calendar.add_business_days(from, 1),
            datetime!(2026-12-28 09:00 UTC)
        );
        assert_eq!(
            calendar.add_business_days(from, 2),
            datetime!(2026-12-29 09:00 UTC)
        );
        assert_eq!(calendar.add_business_days(from, 0), from);
    }

    #[test]
    fn business_time_counts_only_opening_hours() {
        let calendar = Calendar::default();
        // Friday 16:00 to Monday 10:00: one hour on Friday, one on Monday.
        assert_eq!(
            calendar.business_time_between(
                datetime!(2026-12-04 16:00 UTC),
                datetime!(2026-12-07 10:00 UTC)
            ),
            Duration::hours(2)
        );
        assert_eq!(
            calendar.business_time_between(
                datetime!(2026-12-07 10:00 UTC),
                datetime!(2026-12-07 09:00 UTC)
            ),
            Duration::ZERO
        );
        // A target of 8 business hours from Friday 16:00 falls due on Monday at 16:00.
        assert_eq!(
            calendar.add_business_time(datetime!(2026-12-04 16:00 UTC), Duration::hours(8)),
            datetime!(2026-12-07 16:00 UTC)
        );
        // Set on a Saturday, the clock starts when Monday opens.
        assert_eq!(
            calendar.add_business_time(datetime!(2026-12-05 12:00 UTC), Duration::hours(1)),
            datetime!(2026-12-07 10:00 UTC)
        );
        assert!(calendar.is_open_at(datetime!(2026-12-07 09:00 UTC)));
        assert!(!calendar.is_open_at(datetime!(2026-12-07 17:00 UTC)));
        assert!(!calendar.is_open_at(datetime!(2026-12-05 12:00 UTC)));
    }

    #[test]
    fn business_time_follows_the_zone() {
        let calendar = berlin();
        // 08:00 UTC is 09:00 in Berlin in winter: the day has just opened.
        assert!(calendar.is_open_at(datetime!(2026-12-07 08:00 UTC)));
        assert!(!calendar.is_open_at(datetime!(2026-12-07 16:30 UTC)));
        assert!(
            !calendar.is_open_at(datetime!(2026-12-24 10:00 UTC)),
            "holiday"
        );
    }

    #[test]
    fn hours_and_holidays_are_checked_in_words() {
        assert_eq!(
            parse_hours("17:00-09:00").expect_err("backwards"),
            "the day closes (09:00) before it opens (17:00); hours run within one day"
        );
        assert!(parse_hours("nine to five").is_err());
        assert_eq!(parse_hours(" closed ").expect("closed"), None);
        assert_eq!(
            parse_hours("08:30-24:00").expect("to midnight"),
            Some(Hours {
                opens: time!(08:30),
                closes: time!(23:59:59)
            })
        );
        assert!(check_week(&[None; 7]).is_err());
        let christmas = Holiday {
            date: date!(2026 - 12 - 25),
            name: "Christmas Day".to_owned(),
        };
        assert_eq!(
            check_holidays(&[christmas.clone(), christmas.clone()]).expect_err("twice"),
            "2026-12-25 is listed twice"
        );
        assert_eq!(
            check_holidays(&[christmas]).expect("one"),
            "2026-12-25 Christmas Day"
        );
        assert!(parse_holidays("25/12/2026 Christmas").is_err());
        assert!(parse_date("2026-02-30").is_none());
        assert!(time_zone("Europe/Berlin").is_some());
        assert!(time_zone("Europe/Atlantis").is_none());
        assert!(
            time_zone_names()
                .iter()
                .any(|name| name == "America/New_York")
        );
    }
}
