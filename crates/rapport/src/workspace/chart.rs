//! Small charts drawn on the server as SVG, with the numbers they show so a template can put
//! the same figures in a table and in the SVG's title and description (no script needed).

/// One column of a [`Columns`] chart.
pub struct Column {
    /// Under the column, such as "Nov 23".
    pub label: String,
    /// What the column says in words ("72", "no replies").
    pub shown: String,
    pub x: i64,
    /// Top of the column, in SVG units.
    pub y: i64,
    pub height: i64,
}

/// A column chart over periods: one column per period, scaled to `top` (or to the largest
/// value when `top` is `None`); a period without a value keeps its place with no column.
pub struct Columns {
    pub id: &'static str,
    pub title: String,
    pub desc: String,
    pub width: i64,
    pub columns: Vec<Column>,
}

/// The height of the tallest column, and where columns stand, in SVG units.
pub const COLUMN_SPACE: i64 = 120;
pub const BASELINE: i64 = 140;
const COLUMN_STEP: i64 = 40;

impl Columns {
    pub fn new(
        id: &'static str,
        title: &str,
        desc: &str,
        top: Option<f64>,
        values: Vec<(String, Option<f64>, String)>,
    ) -> Columns {
        let most = top
            .unwrap_or_else(|| values.iter().filter_map(|(_, v, _)| *v).fold(0.0, f64::max))
            .max(1.0);
        let columns: Vec<Column> = values
            .into_iter()
            .enumerate()
            .map(|(i, (label, value, shown))| {
                let height = value.map_or(0, |v| {
                    (v.max(0.0) / most * COLUMN_SPACE as f64).round() as i64
                });
                Column {
                    label,
                    shown,
                    x: i as i64 * COLUMN_STEP,
                    y: BASELINE - height,
                    height,
                }
            })
            .collect();
        Columns {
            id,
            title: title.to_owned(),
            desc: desc.to_owned(),
            width: (columns.len() as i64 * COLUMN_STEP).max(200),
            columns,
        }
    }
}

/// One line of a [`Lines`] chart.
pub struct Series {
    pub name: &'static str,
    pub colour: &'static str,
    /// SVG `stroke-dasharray`, so the lines differ without colour too ("" for solid).
    pub dashes: &'static str,
    /// `x,y` pairs for a `polyline`.
    pub points: String,
    /// The same points, one by one, for a dot at each.
    pub dots: Vec<(i64, i64)>,
}

/// A line chart over periods, on a scale from 0 to 100, with one line per series; the
/// periods line up with a [`Columns`] chart's columns.
pub struct Lines {
    pub id: &'static str,
    pub title: String,
    pub desc: String,
    pub width: i64,
    pub labels: Vec<(i64, String)>,
    pub series: Vec<Series>,
}

impl Lines {
    /// `series`: name, colour, dashes and one value per period (`None`: no point).
    pub fn new(
        id: &'static str,
        title: &str,
        desc: &str,
        labels: Vec<String>,
        series: Vec<(&'static str, &'static str, &'static str, Vec<Option<f64>>)>,
    ) -> Lines {
        let centre = |i: usize| i as i64 * COLUMN_STEP + COLUMN_STEP / 2;
        let series = series
            .into_iter()
            .map(|(name, colour, dashes, values)| {
                let dots: Vec<(i64, i64)> = values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, value)| {
                        let v = (*value)?.clamp(0.0, 100.0);
                        Some((
                            centre(i),
                            BASELINE - (v / 100.0 * COLUMN_SPACE as f64).round() as i64,
                        ))
                    })
                    .collect();
                Series {
                    name,
                    colour,
                    dashes,
                    points: dots
                        .iter()
                        .map(|(x, y)| format!("{x},{y}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                    dots,
                }
            })
            .collect();
        Lines {
            id,
            title: title.to_owned(),
            desc: desc.to_owned(),
            width: (labels.len() as i64 * COLUMN_STEP).max(200),
            labels: labels
                .into_iter()
                .enumerate()
                .map(|(i, label)| (centre(i), label))
                .collect(),
            series,
        }
    }
}

/// The points of a small line (a "sparkline") through `values`, scaled to `top`, for an SVG
/// `polyline` 100 wide and 24 high; periods without a value are skipped.
pub fn sparkline(values: &[Option<f64>], top: f64) -> String {
    let step = if values.len() > 1 {
        100.0 / (values.len() - 1) as f64
    } else {
        0.0
    };
    values
        .iter()
        .enumerate()
        .filter_map(|(i, value)| {
            let v = (*value)?;
            let y = 22.0 - (v.max(0.0) / top.max(1.0)).min(1.0) * 20.0;
            Some(format!("{:.1},{:.1}", i as f64 * step, y))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_scale_to_the_top_and_keep_empty_periods() {
        let chart = Columns::new(
            "t",
            "T",
            "D",
            Some(100.0),
            vec![
                ("a".into(), Some(50.0), "50".into()),
                ("b".into(), None, "none".into()),
                ("c".into(), Some(100.0), "100".into()),
            ],
        );
        assert_eq!(chart.columns[0].height, COLUMN_SPACE / 2);
        assert_eq!(chart.columns[1].height, 0);
        assert_eq!(chart.columns[2].y, BASELINE - COLUMN_SPACE);
        assert_eq!(chart.columns[2].x, 80);
    }

    #[test]
    fn lines_put_each_value_on_the_period_and_skip_gaps() {
        let chart = Lines::new(
            "f",
            "F",
            "D",
            vec!["a".into(), "b".into(), "c".into()],
            vec![("one", "#000", "", vec![Some(100.0), None, Some(0.0)])],
        );
        assert_eq!(chart.series[0].points, "20,20 100,140");
        assert_eq!(chart.labels[1].0, 60);
    }

    #[test]
    fn sparkline_skips_missing_values() {
        assert_eq!(
            sparkline(&[Some(100.0), None, Some(0.0)], 100.0),
            "0.0,2.0 100.0,22.0"
        );
    }
}
