//! The calendar: maps simulated days to dates, weekdays and months, and knows
//! which days are holidays (no sessions).

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::engine::time::DAY;
use crate::engine::SimTime;

/// Dates of the simulated days: day 0 is the first warm-up day.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// The date of simulated day 0 (start_date minus the warm-up).
    pub day0: NaiveDate,
    /// The first reported day (start_date).
    pub start_date: NaiveDate,
    pub total_days: u64,
    holiday: Vec<bool>,
    weekday: Vec<u8>,
    month: Vec<u8>,
    /// Years since start_date at the start of each day (negative in the warm-up).
    years: Vec<f64>,
}

impl Calendar {
    pub fn new(
        start_date: NaiveDate,
        warmup_weeks: u32,
        total_weeks: u32,
        holidays: &[NaiveDate],
        us_federal: bool,
    ) -> Calendar {
        let warmup_days = u64::from(warmup_weeks) * 7;
        let day0 = start_date
            .checked_sub_days(Days::new(warmup_days))
            .unwrap_or(NaiveDate::MIN);
        let total_days = u64::from(total_weeks) * 7;
        let mut holiday = vec![false; total_days as usize];
        let mut weekday = Vec::with_capacity(total_days as usize);
        let mut month = Vec::with_capacity(total_days as usize);
        let mut years = Vec::with_capacity(total_days as usize);
        let mut mark = |d: NaiveDate| {
            let idx = (d - day0).num_days();
            if idx >= 0 && (idx as u64) < total_days {
                holiday[idx as usize] = true;
            }
        };
        for &d in holidays {
            mark(d);
        }
        let last = day0
            .checked_add_days(Days::new(total_days))
            .unwrap_or(NaiveDate::MAX);
        if us_federal {
            for year in day0.year()..=last.year() {
                for d in us_federal_holidays(year) {
                    mark(d);
                }
            }
        }
        let mut date = day0;
        for i in 0..total_days {
            weekday.push(date.weekday().num_days_from_monday() as u8);
            month.push(date.month0() as u8);
            years.push((i as f64 - warmup_days as f64) / 365.25);
            date = date.succ_opt().unwrap_or(date);
        }
        Calendar {
            day0,
            start_date,
            total_days,
            holiday,
            weekday,
            month,
            years,
        }
    }

    pub fn is_holiday(&self, day: u64) -> bool {
        self.holiday.get(day as usize).copied().unwrap_or(false)
    }

    /// 0 = Monday .. 6 = Sunday.
    pub fn weekday(&self, day: u64) -> usize {
        self.weekday[day as usize] as usize
    }

    /// 0 = January .. 11 = December.
    pub fn month0(&self, day: u64) -> usize {
        self.month[day as usize] as usize
    }

    pub fn years_since_start(&self, day: u64) -> f64 {
        self.years[day as usize]
    }

    pub fn date(&self, day: u64) -> NaiveDate {
        self.day0
            .checked_add_days(Days::new(day))
            .unwrap_or(NaiveDate::MAX)
    }

    /// Start of the first simulated day on or after `from` with weekday `wd`
    /// (0 = Monday), or `None` past the horizon.
    pub fn next_weekday_on_or_after(&self, from: SimTime, wd: usize) -> Option<u64> {
        let mut day = from.0.div_ceil(DAY);
        let stop = (day + 7).min(self.total_days);
        while day < stop {
            if self.weekday(day) == wd {
                return Some(day);
            }
            day += 1;
        }
        None
    }
}

fn nth_weekday(year: i32, month: u32, wd: Weekday, n: u8) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, wd, n)
}

fn last_weekday(year: i32, month: u32, wd: Weekday) -> Option<NaiveDate> {
    (1..=5).rev().find_map(|n| nth_weekday(year, month, wd, n))
}

/// A fixed-date holiday falling on a weekend is observed on the Friday before
/// (Saturday) or the Monday after (Sunday).
fn observed(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d.pred_opt().unwrap_or(d),
        Weekday::Sun => d.succ_opt().unwrap_or(d),
        _ => d,
    }
}

/// The eight commonly observed US federal holidays of `year`, on their
/// observed dates: New Year's Day, Martin Luther King Jr. Day, Presidents'
/// Day, Memorial Day, Independence Day, Labor Day, Thanksgiving, Christmas.
pub fn us_federal_holidays(year: i32) -> Vec<NaiveDate> {
    let fixed = |m, d| NaiveDate::from_ymd_opt(year, m, d).map(observed);
    [
        fixed(1, 1),
        nth_weekday(year, 1, Weekday::Mon, 3),
        nth_weekday(year, 2, Weekday::Mon, 3),
        last_weekday(year, 5, Weekday::Mon),
        fixed(7, 4),
        nth_weekday(year, 9, Weekday::Mon, 1),
        nth_weekday(year, 11, Weekday::Thu, 4),
        fixed(12, 25),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn federal_holidays_2027_on_observed_dates() {
        let h = us_federal_holidays(2027);
        assert_eq!(
            h,
            vec![
                ymd(2027, 1, 1),
                ymd(2027, 1, 18),
                ymd(2027, 2, 15),
                ymd(2027, 5, 31),
                ymd(2027, 7, 5), // July 4th 2027 is a Sunday
                ymd(2027, 9, 6),
                ymd(2027, 11, 25),
                ymd(2027, 12, 24), // Christmas 2027 is a Saturday
            ]
        );
    }

    #[test]
    fn days_map_to_dates_weekdays_and_holidays() {
        let cal = Calendar::new(ymd(2027, 1, 4), 2, 6, &[ymd(2027, 1, 6)], true);
        assert_eq!(cal.day0, ymd(2026, 12, 21));
        assert_eq!(cal.weekday(0), 0); // a Monday
        assert_eq!(cal.month0(0), 11);
        assert!(cal.is_holiday(14 + 2)); // 2027-01-06, explicit
        assert!(cal.is_holiday(11)); // 2027-01-01, federal
        assert!(!cal.is_holiday(14));
        assert!(cal.years_since_start(0) < 0.0);
        assert_eq!(cal.years_since_start(14), 0.0);
        assert_eq!(cal.next_weekday_on_or_after(SimTime(1), 3), Some(3));
    }
}
