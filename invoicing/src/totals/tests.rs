//! The awkward cases, written out with the expected minor units (worked by hand and checked
//! with Python's `decimal` at ROUND_HALF_UP).

use super::*;
use crate::Currency;

/// description, quantity, unit price in major units, discount %, tax rate %.
type Line = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);
/// amount, discount, taxable, tax components, total.
type LineExpect = (i64, i64, i64, &'static [i64], i64);
/// rate %, taxable, tax components, tax.
type RateExpect = (&'static str, i64, &'static [i64], i64);

struct Case {
    name: &'static str,
    currency: &'static str,
    scheme: TaxScheme,
    lines: &'static [Line],
    expect_lines: &'static [LineExpect],
    subtotal: i64,
    discount: i64,
    tax: i64,
    total: i64,
    /// The total as printed, exercising the currency's exponent.
    total_text: &'static str,
    by_rate: &'static [RateExpect],
    /// The component kinds every line and summary row has.
    kinds: &'static [TaxKind],
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

fn items(currency: Currency, lines: &[Line]) -> Vec<LineItem> {
    lines
        .iter()
        .map(|&(description, quantity, price, discount, rate)| LineItem {
            description: description.into(),
            quantity: dec(quantity),
            unit_price: currency.parse_amount(price).unwrap(),
            discount_percent: dec(discount),
            tax_rate_percent: dec(rate),
            tax_code: None,
        })
        .collect()
}

const GST_LINES: &[Line] = &[
    ("Sample", "1", "0.50", "0", "5"),
    ("Design review", "1.5", "2000.00", "0", "18"),
    ("Widgets", "3", "333.33", "10", "12"),
    ("Diamond setting", "1", "123.45", "0", "0.25"),
    ("Premium service", "2", "999.99", "0", "28"),
];

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "half a cent goes up, then 20 % VAT",
            currency: "EUR",
            scheme: TaxScheme::Standard,
            lines: &[("Widget", "1.5", "3.33", "0", "20")],
            // 1.5 × 333 = 499.5 → 500; 20 % of 500 = 100.
            expect_lines: &[(500, 0, 500, &[100], 600)],
            subtotal: 500,
            discount: 0,
            tax: 100,
            total: 600,
            total_text: "€6.00",
            by_rate: &[("20", 500, &[100], 100)],
            kinds: &[TaxKind::Tax],
        },
        Case {
            name: "twelve lines, German VAT at 19, 7 and 0 %, discounts, 3-decimal quantities",
            currency: "EUR",
            scheme: TaxScheme::Standard,
            lines: &[
                ("Consulting", "7.25", "120.00", "0", "19"),
                ("Workshop day", "1", "1499.99", "10", "19"),
                ("Books", "3", "19.99", "0", "7"),
                ("Travel (exempt)", "1", "234.56", "0", "0"),
                ("Licence", "12", "8.33", "12.5", "19"),
                ("Support hours", "0.333", "90.00", "0", "19"),
                ("Printing", "250", "0.07", "0", "7"),
                ("Small fix", "0.125", "0.04", "0", "19"),
                ("Free item", "2", "50.00", "100", "19"),
                ("Hosting", "1", "29.99", "3.33", "19"),
                ("Cancelled", "0", "100.00", "0", "19"),
                ("Training", "2.5", "450.50", "5", "7"),
            ],
            expect_lines: &[
                (87000, 0, 87000, &[16530], 103530),
                // 10 % of 149999 = 14999.9 → 15000; 19 % of 134999 = 25649.81 → 25650.
                (149999, 15000, 134999, &[25650], 160649),
                (5997, 0, 5997, &[420], 6417),
                (23456, 0, 23456, &[0], 23456),
                // 12.5 % of 9996 = 1249.5 → 1250 (half up).
                (9996, 1250, 8746, &[1662], 10408),
                // 0.333 × 9000 = 2997 exactly; 19 % = 569.43 → 569.
                (2997, 0, 2997, &[569], 3566),
                // 7 % of 1750 = 122.5 → 123 (half up).
                (1750, 0, 1750, &[123], 1873),
                // 0.125 × 4 = 0.5 → 1; 19 % of 1 = 0.19 → 0.
                (1, 0, 1, &[0], 1),
                (10000, 10000, 0, &[0], 0),
                // 3.33 % of 2999 = 99.8667 → 100.
                (2999, 100, 2899, &[551], 3450),
                (0, 0, 0, &[0], 0),
                // 2.5 × 45050 = 112625; 5 % = 5631.25 → 5631; 7 % of 106994 = 7489.58 → 7490.
                (112625, 5631, 106994, &[7490], 114484),
            ],
            subtotal: 406820,
            discount: 31981,
            tax: 52995,
            total: 427834,
            total_text: "€4,278.34",
            by_rate: &[
                ("0", 23456, &[0], 0),
                ("7", 114741, &[8033], 8033),
                ("19", 236642, &[44962], 44962),
            ],
            kinds: &[TaxKind::Tax],
        },
        Case {
            name: "yen have no decimals: consumption tax at 8 and 10 % rounds to whole yen",
            currency: "JPY",
            scheme: TaxScheme::Standard,
            lines: &[
                ("Consulting", "3", "333", "0", "8"),
                ("Design", "0.5", "1250", "0", "10"),
                ("Licence", "7", "1429", "15", "10"),
                ("Snacks", "1.333", "150", "0", "8"),
            ],
            expect_lines: &[
                // 8 % of 999 = 79.92 → 80.
                (999, 0, 999, &[80], 1079),
                // 10 % of 625 = 62.5 → 63.
                (625, 0, 625, &[63], 688),
                // 15 % of 10003 = 1500.45 → 1500; 10 % of 8503 = 850.3 → 850.
                (10003, 1500, 8503, &[850], 9353),
                // 1.333 × 150 = 199.95 → 200.
                (200, 0, 200, &[16], 216),
            ],
            subtotal: 11827,
            discount: 1500,
            tax: 1009,
            total: 11336,
            total_text: "¥11,336",
            by_rate: &[("8", 1199, &[96], 96), ("10", 9128, &[913], 913)],
            kinds: &[TaxKind::Tax],
        },
        Case {
            name: "dinar have three decimals: amounts round to the fils",
            currency: "KWD",
            scheme: TaxScheme::Standard,
            lines: &[
                ("Survey", "2.5", "1.235", "10", "5"),
                ("Stamp", "0.333", "0.003", "0", "5"),
                ("Equipment", "12", "83.333", "2.5", "0"),
            ],
            expect_lines: &[
                // 2.5 × 1235 = 3087.5 → 3088; 10 % = 308.8 → 309; 5 % of 2779 = 138.95 → 139.
                (3088, 309, 2779, &[139], 2918),
                // 0.333 × 3 = 0.999 → 1; 5 % of 1 = 0.05 → 0.
                (1, 0, 1, &[0], 1),
                // 2.5 % of 999996 = 24999.9 → 25000.
                (999996, 25000, 974996, &[0], 974996),
            ],
            subtotal: 1003085,
            discount: 25309,
            tax: 139,
            total: 977915,
            total_text: "KWD\u{a0}977.915",
            by_rate: &[("0", 974996, &[0], 0), ("5", 2780, &[139], 139)],
            kinds: &[TaxKind::Tax],
        },
        Case {
            name: "GST within Maharashtra: CGST + SGST at half the rate, each rounded",
            currency: "INR",
            scheme: TaxScheme::Gst {
                seller_state: "27".into(),
                client_state: "27".into(),
            },
            lines: GST_LINES,
            expect_lines: &[
                // 2.5 % of 50 paise = 1.25 → 1, twice: 2 paise where IGST would take 3.
                (50, 0, 50, &[1, 1], 52),
                (300000, 0, 300000, &[27000, 27000], 354000),
                // 10 % of 99999 = 9999.9 → 10000; 6 % of 89999 = 5399.94 → 5400.
                (99999, 10000, 89999, &[5400, 5400], 100799),
                // 0.125 % of 12345 = 15.43 → 15.
                (12345, 0, 12345, &[15, 15], 12375),
                // 14 % of 199998 = 27999.72 → 28000.
                (199998, 0, 199998, &[28000, 28000], 255998),
            ],
            subtotal: 612392,
            discount: 10000,
            tax: 120832,
            total: 723224,
            total_text: "₹7,232.24",
            by_rate: &[
                ("0.25", 12345, &[15, 15], 30),
                ("5", 50, &[1, 1], 2),
                ("12", 89999, &[5400, 5400], 10800),
                ("18", 300000, &[27000, 27000], 54000),
                ("28", 199998, &[28000, 28000], 56000),
            ],
            kinds: &[TaxKind::Cgst, TaxKind::Sgst],
        },
        Case {
            name: "GST from Maharashtra to Karnataka: IGST at the full rate",
            currency: "INR",
            scheme: TaxScheme::Gst {
                seller_state: "27".into(),
                client_state: "29".into(),
            },
            lines: GST_LINES,
            expect_lines: &[
                // 5 % of 50 = 2.5 → 3.
                (50, 0, 50, &[3], 53),
                (300000, 0, 300000, &[54000], 354000),
                // 12 % of 89999 = 10799.88 → 10800.
                (99999, 10000, 89999, &[10800], 100799),
                // 0.25 % of 12345 = 30.8625 → 31.
                (12345, 0, 12345, &[31], 12376),
                // 28 % of 199998 = 55999.44 → 55999.
                (199998, 0, 199998, &[55999], 255997),
            ],
            subtotal: 612392,
            discount: 10000,
            tax: 120833,
            total: 723225,
            total_text: "₹7,232.25",
            by_rate: &[
                ("0.25", 12345, &[31], 31),
                ("5", 50, &[3], 3),
                ("12", 89999, &[10800], 10800),
                ("18", 300000, &[54000], 54000),
                ("28", 199998, &[55999], 55999),
            ],
            kinds: &[TaxKind::Igst],
        },
    ]
}

#[test]
fn awkward_cases_come_out_to_the_minor_unit() {
    for case in cases() {
        let name = case.name;
        let currency = Currency::from_code(case.currency).unwrap();
        let lines = items(currency, case.lines);
        let totals = compute_totals(&lines, &case.scheme, 0).unwrap();

        assert_eq!(totals.lines.len(), case.expect_lines.len(), "{name}");
        for (index, (got, &(amount, discount, taxable, taxes, total))) in
            totals.lines.iter().zip(case.expect_lines).enumerate()
        {
            let at = format!("{name}, line {} ({})", index + 1, case.lines[index].0);
            assert_eq!(got.amount, amount, "amount: {at}");
            assert_eq!(got.discount, discount, "discount: {at}");
            assert_eq!(got.taxable, taxable, "taxable: {at}");
            let parts: Vec<i64> = got.taxes.iter().map(|t| t.amount).collect();
            assert_eq!(parts, taxes, "tax components: {at}");
            let kinds: Vec<TaxKind> = got.taxes.iter().map(|t| t.kind).collect();
            assert_eq!(kinds, case.kinds, "tax kinds: {at}");
            assert_eq!(got.tax, taxes.iter().sum::<i64>(), "tax: {at}");
            assert_eq!(got.total, total, "total: {at}");
        }

        assert_eq!(totals.subtotal, case.subtotal, "subtotal: {name}");
        assert_eq!(totals.discount, case.discount, "discount: {name}");
        assert_eq!(
            totals.taxable,
            case.subtotal - case.discount,
            "taxable: {name}"
        );
        assert_eq!(totals.tax, case.tax, "tax: {name}");
        assert_eq!(totals.total, case.total, "total: {name}");
        assert_eq!(totals.paid, 0, "{name}");
        assert_eq!(totals.amount_due, case.total, "amount due: {name}");
        assert_eq!(
            currency.format_money(totals.total),
            case.total_text,
            "{name}"
        );

        let rates: Vec<RateExpect> = Vec::from(case.by_rate);
        assert_eq!(totals.tax_by_rate.len(), rates.len(), "rates: {name}");
        for (got, (rate, taxable, taxes, tax)) in totals.tax_by_rate.iter().zip(rates) {
            let at = format!("{name}, rate {rate} %");
            assert_eq!(got.rate_percent, dec(rate), "{at}");
            assert_eq!(
                got.rate_percent.to_string(),
                rate,
                "rate printed as entered: {at}"
            );
            assert_eq!(got.taxable, taxable, "taxable: {at}");
            let parts: Vec<i64> = got.taxes.iter().map(|t| t.amount).collect();
            assert_eq!(parts, taxes, "components: {at}");
            assert_eq!(got.tax, tax, "tax: {at}");
        }
        // The summary and the lines agree.
        let summed: i64 = totals.tax_by_rate.iter().map(|row| row.tax).sum();
        assert_eq!(summed, totals.tax, "{name}");
    }
}

#[test]
fn gst_components_carry_half_rates_within_a_state_and_the_full_rate_across() {
    let lines = [LineItem {
        description: "Design review".into(),
        quantity: Decimal::ONE,
        unit_price: 100_000,
        discount_percent: Decimal::ZERO,
        tax_rate_percent: dec("18.0"),
        tax_code: Some("998391".into()),
    }];
    let within = TaxScheme::Gst {
        seller_state: "27".into(),
        client_state: "27".into(),
    };
    let totals = compute_totals(&lines, &within, 0).unwrap();
    let rates: Vec<(TaxKind, String)> = totals.lines[0]
        .taxes
        .iter()
        .map(|t| (t.kind, t.rate_percent.to_string()))
        .collect();
    assert_eq!(
        rates,
        [
            (TaxKind::Cgst, "9".to_string()),
            (TaxKind::Sgst, "9".to_string())
        ]
    );
    assert_eq!(totals.tax_by_rate[0].rate_percent.to_string(), "18");

    let across = TaxScheme::Gst {
        seller_state: "27".into(),
        client_state: "07".into(),
    };
    let totals = compute_totals(&lines, &across, 0).unwrap();
    assert_eq!(totals.lines[0].taxes[0].kind, TaxKind::Igst);
    assert_eq!(totals.lines[0].taxes[0].rate_percent.to_string(), "18");
    assert_eq!(totals.tax, 18_000);
}

fn one_line(total_minor: i64) -> Vec<LineItem> {
    vec![LineItem {
        description: "Work".into(),
        quantity: Decimal::ONE,
        unit_price: total_minor,
        discount_percent: Decimal::ZERO,
        tax_rate_percent: Decimal::ZERO,
        tax_code: None,
    }]
}

#[test]
fn payments_reduce_the_amount_due_and_never_exceed_the_total() {
    let lines = one_line(10_000);
    let partial = compute_totals(&lines, &TaxScheme::Standard, 2_550).unwrap();
    assert_eq!((partial.paid, partial.amount_due), (2_550, 7_450));
    let full = compute_totals(&lines, &TaxScheme::Standard, 10_000).unwrap();
    assert_eq!(full.amount_due, 0);
    for paid in [10_001, -1] {
        assert_eq!(
            compute_totals(&lines, &TaxScheme::Standard, paid),
            Err(Error::InvalidPayment {
                paid,
                total: 10_000
            })
        );
    }
}

#[test]
fn an_invoice_without_lines_is_all_zero() {
    let totals = compute_totals(&[], &TaxScheme::Standard, 0).unwrap();
    assert_eq!((totals.subtotal, totals.tax, totals.total), (0, 0, 0));
    assert!(totals.tax_by_rate.is_empty());
}

#[test]
fn bad_lines_are_refused_with_their_line_and_field() {
    let good = || LineItem {
        description: "Work".into(),
        quantity: Decimal::ONE,
        unit_price: 100,
        discount_percent: Decimal::ZERO,
        tax_rate_percent: Decimal::ZERO,
        tax_code: None,
    };
    type Spoil = fn(&mut LineItem);
    let cases: &[(&str, Spoil)] = &[
        ("description", |l| l.description = "   ".into()),
        ("description", |l| l.description = "x".repeat(2001)),
        ("quantity", |l| l.quantity = dec("-1")),
        ("quantity", |l| l.quantity = dec("1.0005")),
        ("quantity", |l| l.quantity = dec("1000000000.001")),
        ("unit_price", |l| l.unit_price = -1),
        ("unit_price", |l| l.unit_price = 1_000_000_000_000_001),
        ("discount_percent", |l| l.discount_percent = dec("100.01")),
        ("discount_percent", |l| l.discount_percent = dec("-5")),
        ("discount_percent", |l| l.discount_percent = dec("1.23456")),
        ("tax_rate_percent", |l| l.tax_rate_percent = dec("101")),
        ("tax_rate_percent", |l| l.tax_rate_percent = dec("-0.5")),
        ("tax_code", |l| l.tax_code = Some(String::new())),
        ("tax_code", |l| l.tax_code = Some("9983 91".into())),
        ("tax_code", |l| l.tax_code = Some("1".repeat(17))),
    ];
    for &(field, spoil) in cases {
        let mut bad = good();
        spoil(&mut bad);
        let lines = vec![good(), bad.clone()];
        let err = compute_totals(&lines, &TaxScheme::Standard, 0).unwrap_err();
        match err {
            Error::InvalidLine { line, field: f, .. } => {
                assert_eq!((line, f), (1, field), "{bad:?}");
            }
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
    // Trailing zeros are not extra decimals; 1.500 h has three.
    let mut fine = good();
    fine.quantity = dec("1.500");
    fine.discount_percent = dec("12.50000");
    fine.tax_code = Some("HSN8471".into());
    assert!(compute_totals(&[fine], &TaxScheme::Standard, 0).is_ok());
}

#[test]
fn the_error_names_the_line_as_people_count() {
    let err = Error::InvalidLine {
        line: 0,
        field: "quantity",
        reason: "must not be negative",
    };
    assert_eq!(err.to_string(), "line 1: quantity must not be negative");
}

#[test]
fn bad_gst_state_codes_are_refused() {
    for (seller, client) in [
        ("27", "2"),
        ("MH", "27"),
        ("27", "00"),
        ("", "27"),
        ("271", "27"),
    ] {
        let scheme = TaxScheme::Gst {
            seller_state: seller.into(),
            client_state: client.into(),
        };
        assert!(
            matches!(
                compute_totals(&one_line(100), &scheme, 0),
                Err(Error::InvalidStateCode(_))
            ),
            "{seller:?} / {client:?}"
        );
    }
}

#[test]
fn too_many_lines_or_too_large_amounts_are_refused() {
    let many = vec![one_line(1)[0].clone(); MAX_LINES + 1];
    assert_eq!(
        compute_totals(&many, &TaxScheme::Standard, 0),
        Err(Error::TooManyLines {
            count: MAX_LINES + 1,
            max: MAX_LINES
        })
    );
    let mut huge = one_line(MAX_UNIT_PRICE);
    huge[0].quantity = Decimal::from(MAX_QUANTITY);
    assert_eq!(
        compute_totals(&huge, &TaxScheme::Standard, 0),
        Err(Error::TooLarge)
    );
    // The largest line that is allowed, at 100 % tax, many times over, still sums or says so.
    let mut big = one_line(MAX_UNIT_PRICE);
    big[0].quantity = Decimal::from(100);
    big[0].tax_rate_percent = Decimal::ONE_HUNDRED;
    let lines = vec![big[0].clone(); 100];
    assert_eq!(
        compute_totals(&lines, &TaxScheme::Standard, 0),
        Err(Error::TooLarge)
    );
    assert_eq!(
        compute_totals(&lines[..40], &TaxScheme::Standard, 0)
            .unwrap()
            .total,
        8_000_000_000_000_000_000
    );
}

#[test]
fn lines_and_schemes_read_from_json_with_exact_decimals() {
    let json = r#"[{"description":"Café ☕ Ünïcode","quantity":"2.125","unit_price":1999,
        "discount_percent":"5","tax_rate_percent":"19","tax_code":null},
        {"description":"No tax fields","quantity":"1","unit_price":500}]"#;
    let lines: Vec<LineItem> = serde_json::from_str(json).unwrap();
    assert_eq!(lines[0].quantity, dec("2.125"));
    assert_eq!(lines[1].tax_rate_percent, Decimal::ZERO);
    let scheme: TaxScheme =
        serde_json::from_str(r#"{"kind":"gst","seller_state":"27","client_state":"29"}"#).unwrap();
    assert!(matches!(scheme, TaxScheme::Gst { .. }));
    let totals = compute_totals(&lines, &scheme, 0).unwrap();
    // 2.125 × 1999 = 4247.875 → 4248; 5 % = 212.4 → 212; 4036 × 19 % = 766.84 → 767.
    assert_eq!(
        (
            totals.lines[0].amount,
            totals.lines[0].discount,
            totals.lines[0].tax
        ),
        (4248, 212, 767)
    );
    let out = serde_json::to_value(&totals).unwrap();
    assert_eq!(out["tax_by_rate"][1]["rate_percent"], "19");
    assert_eq!(out["lines"][0]["taxes"][0]["kind"], "igst");
}
