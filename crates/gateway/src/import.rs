//! `importProducts`: a supplier's catalogue in bulk, as CSV text or as product inputs, up to a
//! thousand rows a request; every row answers for itself (created, updated, unchanged or why it
//! failed, with its row number), and sending the same rows again changes nothing.

use std::collections::BTreeMap;

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use zhuchao_app::import::{ImportRow, RowOutcome, MAX_IMPORT_ROWS};
use zhuchao_domain::ids::CategoryId;
use zhuchao_domain::money::{Currency, Money};
use zhuchao_domain::product::{PriceTier, ProductSheet};

use crate::api::{api, command_context, supplier};
use crate::errors::{bad_input, classify, ErrorCode, UserError};
use crate::global_id::{decode, encode, Kind};
use crate::mutation::ProductInput;
use crate::types::MAX_MINOR;

/// Columns a CSV import must have; attribute columns are named by their keys.
pub const REQUIRED_COLUMNS: [&str; 8] = [
    "part_number",
    "brand",
    "name",
    "moq",
    "pack_size",
    "stock",
    "lead_time_days",
    "tiers",
];
/// Columns a CSV import may have besides those and the category's attributes.
pub const OPTIONAL_COLUMNS: [&str; 3] = ["keyword", "description", "shipping"];

#[derive(InputObject)]
pub struct ImportProductsInput {
    pub category_id: ID,
    /// Publish each product (new or changed) once it is written.
    #[graphql(default = true)]
    pub publish: bool,
    /// CSV text: a header row, then one product per row. Columns: `part_number`, `brand`,
    /// `keyword`, `name`, `description`, `moq`, `pack_size`, `stock`, `lead_time_days`,
    /// `shipping` (yuan), `tiers` (`100:1.20;1000:0.95`: from a quantity, yuan a piece), and one
    /// column per attribute, named by its key.
    pub csv: Option<String>,
    /// Or the products as inputs (each of this import's category), at most 1,000.
    #[graphql(validator(max_items = 1000))]
    pub rows: Option<Vec<ProductInput>>,
    /// The number the first row is reported under (a file sent in parts: its line in the file).
    /// Default: 2 for CSV (after the header), 1 for rows.
    pub first_row: Option<u32>,
}

/// What became of a row.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    Created,
    Updated,
    Unchanged,
    Failed,
}

#[derive(SimpleObject)]
pub struct ImportedRow {
    /// The row's number (its line, for CSV).
    pub row: u32,
    pub part_number: String,
    pub outcome: ImportOutcome,
    /// The product the row is (none when it failed before one was named).
    pub product_id: Option<ID>,
    /// Why it failed.
    pub error: Option<UserError>,
}

#[derive(SimpleObject, Default)]
pub struct ImportProductsPayload {
    pub created: u32,
    pub updated: u32,
    pub unchanged: u32,
    pub failed: u32,
    /// Every row, in order.
    pub rows: Vec<ImportedRow>,
    /// The global position of the last write: pass it as `atLeast` to search what was imported.
    pub position: Option<String>,
    /// Why the whole import was refused (a wrong category, a file without a needed column).
    pub user_errors: Vec<UserError>,
}

impl ImportProductsPayload {
    fn refused(error: UserError) -> Self {
        Self {
            user_errors: vec![error],
            ..Self::default()
        }
    }
}

#[derive(Default)]
pub struct ImportMutation;

#[Object]
impl ImportMutation {
    /// Suppliers: imports products into one category, each keyed by its part number — a part
    /// number already imported updates that product, so a file may be sent again to resume.
    async fn import_products(
        &self,
        ctx: &Context<'_>,
        input: ImportProductsInput,
    ) -> async_graphql::Result<ImportProductsPayload> {
        let (_, me) = supplier(ctx)?;
        let Some(category) = decode(Kind::Category, &input.category_id) else {
            return Ok(ImportProductsPayload::refused(
                UserError::new(ErrorCode::NoSuchCategory, "no such category")
                    .at("input.categoryId"),
            ));
        };
        let category = CategoryId(category);
        let a = api(ctx);
        // The category and the supplier first: a file for the wrong category is refused as that.
        if let Err(e) = a.market.may_import(me, category).await {
            return Ok(ImportProductsPayload::refused(classify(e)?));
        }
        let attribute_keys: Vec<String> = a
            .views
            .catalog()
            .categories
            .get(&category)
            .map(|c| c.schema.attributes.iter().map(|d| d.key.clone()).collect())
            .unwrap_or_default();
        // Each row's part number, and the row parsed or why not, under its number.
        let parsed: Vec<(u32, Parsed)> = match (&input.csv, &input.rows) {
            (Some(csv), None) => {
                let first = input.first_row.unwrap_or(2);
                match csv_rows(csv, &attribute_keys) {
                    Ok(rows) => number(rows, first),
                    Err(e) => return Ok(ImportProductsPayload::refused(e.at("input.csv"))),
                }
            }
            (None, Some(rows)) => {
                let first = input.first_row.unwrap_or(1);
                let rows = rows
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (r.part_number.trim().to_string(), input_row(r, category, i)))
                    .collect();
                number(rows, first)
            }
            _ => {
                return Ok(ImportProductsPayload::refused(bad_input(
                    "input",
                    "send either csv or rows",
                )))
            }
        };
        if parsed.len() > MAX_IMPORT_ROWS {
            return Ok(ImportProductsPayload::refused(bad_input(
                "input",
                format!("send at most {MAX_IMPORT_ROWS} rows at a time (the file in parts, with firstRow)"),
            )));
        }
        let mut payload = ImportProductsPayload::default();
        let mut sent = Vec::new();
        let mut slots = Vec::new();
        for (n, (part_number, row)) in parsed {
            let row = row.map(|mut r| {
                r.line = n;
                r
            });
            payload.rows.push(ImportedRow {
                row: n,
                part_number,
                outcome: ImportOutcome::Failed,
                product_id: None,
                error: None,
            });
            match row {
                Ok(r) => {
                    slots.push(payload.rows.len() - 1);
                    sent.push(r);
                }
                Err(e) => payload.rows.last_mut().expect("just pushed").error = Some(e),
            }
        }
        if !sent.is_empty() {
            let result = a
                .market
                .import_products(&command_context(ctx), me, category, sent, input.publish)
                .await;
            let (outcomes, position) = match result {
                Ok(done) => done,
                Err(e) => return Ok(ImportProductsPayload::refused(classify(e)?)),
            };
            payload.position = Some(position.as_u64().to_string());
            for (slot, outcome) in slots.into_iter().zip(outcomes) {
                let row = &mut payload.rows[slot];
                let (kind, id) = match outcome {
                    RowOutcome::Created(id) => (ImportOutcome::Created, Some(id)),
                    RowOutcome::Updated(id) => (ImportOutcome::Updated, Some(id)),
                    RowOutcome::Unchanged(id) => (ImportOutcome::Unchanged, Some(id)),
                    RowOutcome::Failed(e) => {
                        row.error = Some(classify(e)?);
                        (ImportOutcome::Failed, None)
                    }
                };
                row.outcome = kind;
                row.product_id = id.map(|id| encode(Kind::Product, id.0));
            }
        }
        for row in &payload.rows {
            match row.outcome {
                ImportOutcome::Created => payload.created += 1,
                ImportOutcome::Updated => payload.updated += 1,
                ImportOutcome::Unchanged => payload.unchanged += 1,
                ImportOutcome::Failed => payload.failed += 1,
            }
        }
        Ok(payload)
    }
}

/// A row's part number as written, and the row parsed or why it could not be.
type Parsed = (String, Result<ImportRow, UserError>);

fn number<T>(rows: Vec<T>, first: u32) -> Vec<(u32, T)> {
    rows.into_iter()
        .enumerate()
        .map(|(i, r)| (first.saturating_add(i as u32), r))
        .collect()
}

fn input_row(input: &ProductInput, category: CategoryId, i: usize) -> Result<ImportRow, UserError> {
    let (sheet, attributes) = input.parse()?;
    if sheet.category != category {
        return Err(bad_input(
            &format!("input.rows.{i}.categoryId"),
            "every row of an import is of the import's category",
        ));
    }
    Ok(ImportRow {
        line: 0,
        sheet,
        attributes,
    })
}

/// Splits CSV text into rows of cells: commas, quoted cells with doubled quotes, CRLF or LF;
/// blank lines are skipped.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    let end_row = |row: &mut Vec<String>, cell: &mut String, rows: &mut Vec<Vec<String>>| {
        row.push(std::mem::take(cell));
        if row.iter().any(|c| !c.trim().is_empty()) {
            rows.push(std::mem::take(row));
        } else {
            row.clear();
        }
    };
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n' | '\r') => end_row(&mut row, &mut cell, &mut rows),
            (false, c) => cell.push(c),
        }
    }
    end_row(&mut row, &mut cell, &mut rows);
    rows
}

/// The rows of a CSV import, each parsed or the reason it cannot be; a header that lacks a
/// needed column or names an unknown one refuses the whole file.
fn csv_rows(text: &str, attribute_keys: &[String]) -> Result<Vec<Parsed>, UserError> {
    let mut rows = parse_csv(text).into_iter();
    let header: Vec<String> = rows
        .next()
        .ok_or_else(|| bad_input("input.csv", "the file is empty; it needs a header row"))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let missing: Vec<&str> = REQUIRED_COLUMNS
        .iter()
        .filter(|c| !header.iter().any(|h| h == *c))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(bad_input(
            "input.csv",
            format!("the header lacks the column(s) {}", missing.join(", ")),
        ));
    }
    for h in &header {
        let known = REQUIRED_COLUMNS.contains(&h.as_str())
            || OPTIONAL_COLUMNS.contains(&h.as_str())
            || attribute_keys.contains(h);
        if !known {
            return Err(bad_input(
                "input.csv",
                format!(
                    "column {h:?} is neither a product column nor an attribute of this category"
                ),
            ));
        }
    }
    let part_number = header.iter().position(|h| h == "part_number");
    Ok(rows
        .map(|cells| {
            let written = part_number
                .and_then(|i| cells.get(i))
                .map_or(String::new(), |c| c.trim().to_string());
            (written, csv_row(&header, &cells))
        })
        .collect())
}

fn csv_row(header: &[String], cells: &[String]) -> Result<ImportRow, UserError> {
    let cell = |name: &str| -> &str {
        header
            .iter()
            .position(|h| h == name)
            .and_then(|i| cells.get(i))
            .map_or("", |c| c.trim())
    };
    let whole = |name: &str| -> Result<u64, UserError> {
        let text = cell(name);
        text.parse::<u64>()
            .map_err(|_| bad_input(name, format!("{name}: {text:?} is not a whole number")))
    };
    let mut tiers = Vec::new();
    for tier in cell("tiers")
        .split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let parsed = tier
            .split_once(':')
            .and_then(|(q, p)| Some((q.trim().parse::<u64>().ok()?, yuan(p.trim())?)));
        let (min_quantity, unit_price) = parsed.ok_or_else(|| {
            bad_input(
                "tiers",
                format!("tiers: {tier:?} is not quantity:price (100:1.20)"),
            )
        })?;
        tiers.push(PriceTier {
            min_quantity,
            unit_price,
        });
    }
    let shipping = match cell("shipping") {
        "" => Money::new(0, Currency::CNY),
        text => yuan(text).ok_or_else(|| {
            bad_input(
                "shipping",
                format!("shipping: {text:?} is not an amount in yuan"),
            )
        })?,
    };
    for (name, limit) in [
        ("brand", 200),
        ("keyword", 200),
        ("name", 200),
        ("description", 5_000),
    ] {
        if cell(name).chars().count() > limit {
            return Err(bad_input(
                name,
                format!("{name} is longer than {limit} characters"),
            ));
        }
    }
    let sheet = ProductSheet {
        category: CategoryId(uuid::Uuid::nil()),
        part_number: cell("part_number").to_string(),
        brand: cell("brand").to_string(),
        keyword: cell("keyword").to_string(),
        name: cell("name").to_string(),
        description: cell("description").to_string(),
        images: Vec::new(),
        moq: whole("moq")?,
        pack_size: whole("pack_size")?,
        tiers,
        stock: whole("stock")?,
        lead_time_days: u32::try_from(whole("lead_time_days")?)
            .map_err(|_| bad_input("lead_time_days", "lead_time_days is too large"))?,
        shipping_cost: shipping,
    };
    let attributes: BTreeMap<String, String> = header
        .iter()
        .zip(cells)
        .filter(|(h, v)| {
            !REQUIRED_COLUMNS.contains(&h.as_str())
                && !OPTIONAL_COLUMNS.contains(&h.as_str())
                && !v.trim().is_empty()
        })
        .map(|(h, v)| (h.clone(), v.trim().to_string()))
        .collect();
    Ok(ImportRow {
        line: 0,
        sheet,
        attributes,
    })
}

/// An amount in yuan with at most two decimals (`1.2`, `0.95`, `12`), as minor units.
fn yuan(text: &str) -> Option<Money> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 2
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let minor = whole
        .parse::<i64>()
        .ok()?
        .checked_mul(100)?
        .checked_add(format!("{fraction:0<2}").parse::<i64>().ok()?)?;
    (minor <= MAX_MINOR).then(|| Money::new(minor, Currency::CNY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_keep_quoted_commas_quotes_and_line_breaks() {
        let rows = parse_csv("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n\"two\nlines\",z");
        assert_eq!(
            rows,
            vec![
                vec!["a".to_string(), "b".into()],
                vec!["x, y".into(), "say \"hi\"".into()],
                vec!["two\nlines".into(), "z".into()],
            ]
        );
    }

    #[test]
    fn yuan_amounts_become_minor_units() {
        assert_eq!(yuan("1.2").map(|m| m.minor), Some(120));
        assert_eq!(yuan("0.95").map(|m| m.minor), Some(95));
        assert_eq!(yuan("12").map(|m| m.minor), Some(1200));
        for bad in ["", "-1", "1.234", "1,2", "abc", ".5", "1e3"] {
            assert_eq!(yuan(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_header_without_a_needed_column_or_with_an_unknown_one_refuses_the_file() {
        let keys = vec!["thread".to_string()];
        let missing = csv_rows("part_number,brand\nA,B", &keys).expect_err("refused");
        assert!(missing.message.contains("name"), "{}", missing.message);
        let unknown = csv_rows(
            "part_number,brand,name,moq,pack_size,stock,lead_time_days,tiers,colour\nA,B,C,1,1,1,1,1:1,red",
            &keys,
        )
        .expect_err("refused");
        assert!(unknown.message.contains("colour"), "{}", unknown.message);
    }

    #[test]
    fn each_row_parses_or_says_why_not() {
        let keys = vec!["thread".to_string()];
        let rows = csv_rows(
            "part_number,brand,name,moq,pack_size,stock,lead_time_days,tiers,shipping,thread\n\
             PF-1,固力,Bolt,100,50,5000,3,100:1.20;1000:0.95,15,M8\n\
             PF-2,固力,Bolt,lots,50,5000,3,100:1.20,,M8\n\
             PF-3,固力,Bolt,100,50,5000,3,100-1.20,,M8\n",
            &keys,
        )
        .expect("a good header");
        assert_eq!(rows[1].0, "PF-2", "a failed row keeps its part number");
        let first = rows[0].1.as_ref().expect("row 1 parses");
        assert_eq!(first.sheet.part_number, "PF-1");
        assert_eq!(first.sheet.tiers[1].unit_price.minor, 95);
        assert_eq!(first.sheet.shipping_cost.minor, 1500);
        assert_eq!(
            first.attributes.get("thread").map(String::as_str),
            Some("M8")
        );
        assert!(rows[1]
            .1
            .as_ref()
            .expect_err("bad moq")
            .message
            .contains("moq"));
        assert!(rows[2]
            .1
            .as_ref()
            .expect_err("bad tiers")
            .message
            .contains("tiers"));
    }
}
