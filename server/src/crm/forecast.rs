//! The deal forecast: each open or won deal's amount × probability, rounded half-up to a minor
//! unit per deal (so the months, owners and totals are exact integer sums of the same figures
//! and always add up), summed by month of expected close, per owner, per currency. Lost deals
//! count for nothing and are left out.

use std::collections::BTreeMap;

use atrium_client::wire::{CurrencyForecast, DealForecast, ForecastBucket, OwnerForecast};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

/// What the forecast reads of a deal.
#[derive(Debug, Clone, PartialEq)]
pub struct DealFigures {
    pub stage: String,
    pub owner: String,
    pub currency: String,
    /// Minor units.
    pub amount: i64,
    /// Percent, 0–100.
    pub probability: Decimal,
    /// `YYYY-MM-DD`.
    pub expected_close: Option<String>,
}

/// `amount × probability / 100`, half-up to a minor unit.
pub fn weighted(amount: i64, probability: Decimal) -> i64 {
    (Decimal::from(amount) * probability / Decimal::ONE_HUNDRED)
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(i64::MAX)
}

#[derive(Default)]
struct Sums {
    weighted: i64,
    amount: i64,
    deals: u32,
}

impl Sums {
    fn add(&mut self, weighted: i64, amount: i64) {
        self.weighted = self.weighted.saturating_add(weighted);
        self.amount = self.amount.saturating_add(amount);
        self.deals += 1;
    }
}

#[derive(Default)]
struct Bucket {
    all: Sums,
    owners: BTreeMap<String, Sums>,
}

impl Bucket {
    fn add(&mut self, owner: &str, weighted: i64, amount: i64) {
        self.all.add(weighted, amount);
        self.owners
            .entry(owner.to_owned())
            .or_default()
            .add(weighted, amount);
    }

    fn wire(self, month: Option<String>) -> ForecastBucket {
        ForecastBucket {
            month,
            weighted: self.all.weighted,
            amount: self.all.amount,
            deals: self.all.deals,
            owners: self
                .owners
                .into_iter()
                .map(|(user, s)| OwnerForecast {
                    user,
                    weighted: s.weighted,
                    amount: s.amount,
                    deals: s.deals,
                })
                .collect(),
        }
    }
}

/// The forecast of `deals`, currencies in code order.
pub fn forecast(deals: &[DealFigures]) -> DealForecast {
    // currency → month ("" sorts first; moved last below) → bucket
    let mut by_currency: BTreeMap<&str, (BTreeMap<Option<String>, Bucket>, Bucket)> =
        BTreeMap::new();
    for deal in deals.iter().filter(|d| d.stage != "lost") {
        let share = weighted(deal.amount, deal.probability);
        let month = deal
            .expected_close
            .as_deref()
            .and_then(|d| d.get(..7))
            .map(str::to_owned);
        let (months, total) = by_currency.entry(&deal.currency).or_default();
        months
            .entry(month)
            .or_default()
            .add(&deal.owner, share, deal.amount);
        total.add(&deal.owner, share, deal.amount);
    }
    DealForecast {
        currencies: by_currency
            .into_iter()
            .map(|(currency, (months, total))| {
                let mut months: Vec<ForecastBucket> =
                    months.into_iter().map(|(m, b)| b.wire(m)).collect();
                // BTreeMap puts `None` first; undated deals read best last.
                months.sort_by_key(|b| b.month.is_none());
                CurrencyForecast {
                    currency: currency.to_owned(),
                    months,
                    total: total.wire(None),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deal(
        stage: &str,
        owner: &str,
        currency: &str,
        amount: i64,
        p: &str,
        close: Option<&str>,
    ) -> DealFigures {
        DealFigures {
            stage: stage.into(),
            owner: owner.into(),
            currency: currency.into(),
            amount,
            probability: p.parse().unwrap(),
            expected_close: close.map(str::to_owned),
        }
    }

    #[test]
    fn each_deal_rounds_half_up_once() {
        assert_eq!(weighted(1, "50".parse().unwrap()), 1);
        assert_eq!(weighted(3, "50".parse().unwrap()), 2);
        assert_eq!(weighted(333, "33.3".parse().unwrap()), 111);
        assert_eq!(weighted(10000, "0".parse().unwrap()), 0);
    }

    #[test]
    fn sums_by_month_owner_and_currency_add_up() {
        let deals = [
            deal("proposal", "ann", "EUR", 100000, "50", Some("2026-03-14")),
            deal("qualified", "bob", "EUR", 333, "33.3", Some("2026-03-02")),
            deal("won", "ann", "EUR", 25000, "100", Some("2026-04-30")),
            deal("lost", "ann", "EUR", 999900, "0", Some("2026-03-01")),
            deal("lead", "bob", "EUR", 400000, "10", None),
            deal(
                "negotiation",
                "bob",
                "JPY",
                120_000,
                "75",
                Some("2026-03-20"),
            ),
        ];
        let f = forecast(&deals);
        assert_eq!(f.currencies.len(), 2);
        let eur = &f.currencies[0];
        assert_eq!(eur.currency, "EUR");
        let months: Vec<_> = eur
            .months
            .iter()
            .map(|m| (m.month.clone(), m.weighted, m.deals))
            .collect();
        assert_eq!(
            months,
            vec![
                (Some("2026-03".into()), 50000 + 111, 2),
                (Some("2026-04".into()), 25000, 1),
                (None, 40000, 1),
            ]
        );
        assert_eq!(eur.total.weighted, 50000 + 111 + 25000 + 40000);
        assert_eq!(eur.total.amount, 100000 + 333 + 25000 + 400000);
        let owners: Vec<_> = eur
            .total
            .owners
            .iter()
            .map(|o| (o.user.as_str(), o.weighted))
            .collect();
        assert_eq!(owners, vec![("ann", 75000), ("bob", 40000 + 111)]);
        let jpy = &f.currencies[1];
        assert_eq!((jpy.currency.as_str(), jpy.total.weighted), ("JPY", 90_000));
    }
}
