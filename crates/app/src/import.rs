//! A supplier's catalogue in bulk: rows keyed by part number, each drafted (and published) or
//! revised in one append to its product's stream, many at once; every row answers for itself.
//! Sending the same rows again changes nothing, so an interrupted import is resumed by sending
//! the file again.

use std::collections::{BTreeMap, HashMap};

use futures::StreamExt as _;
use uuid::Uuid;
use zhuchao_domain::category::Category;
use zhuchao_domain::error_codes::ErrorCode;
use zhuchao_domain::ids::{CategoryId, ProductId, SupplierId};
use zhuchao_domain::product::{Product, ProductCommand, ProductSheet, ProductState, ProductStatus};
use zhuchao_domain::supplier::SupplierState;
use zhuchao_eventstore::{EventStore, Position};

use crate::handler::{CommandContext, Loaded};
use crate::marketplace::{rejected, MarketError, Marketplace};

/// Most rows one import request may hold.
pub const MAX_IMPORT_ROWS: usize = 1_000;
/// Rows read and written together.
const IN_FLIGHT: usize = 64;
/// Chunks of rows under way at once: one being read while another is written.
const CHUNKS_IN_FLIGHT: usize = 2;

/// One product of an import: its sheet (with its part number) and raw attribute values.
#[derive(Clone, Debug)]
pub struct ImportRow {
    /// The row's number as the caller shows it (its line in a file), for messages.
    pub line: u32,
    pub sheet: ProductSheet,
    pub attributes: BTreeMap<String, String>,
}

/// What became of a row.
#[derive(Debug)]
pub enum RowOutcome {
    Created(ProductId),
    Updated(ProductId),
    /// The product is already as the row says.
    Unchanged(ProductId),
    Failed(MarketError),
}

/// The product a supplier's part number names: the same part number (in any letter case) is
/// always the same product, which is what makes an import safe to send again.
pub fn imported_product_id(supplier: SupplierId, part_number: &str) -> ProductId {
    ProductId(Uuid::new_v5(
        &supplier.0,
        format!("part-number:{}", part_number.trim().to_uppercase()).as_bytes(),
    ))
}

impl<S: EventStore + Clone> Marketplace<S> {
    /// Imports `rows` into `category` for `supplier`, publishing each when `publish`. Refused as
    /// a whole only when the category or the supplier is wrong; otherwise each row is created,
    /// updated, unchanged or failed on its own. Answers each row's outcome, in order, and the
    /// position of the last write.
    pub async fn import_products(
        &self,
        ctx: &CommandContext,
        supplier: SupplierId,
        category: CategoryId,
        rows: Vec<ImportRow>,
        publish: bool,
    ) -> Result<(Vec<RowOutcome>, Position), MarketError> {
        if rows.len() > MAX_IMPORT_ROWS {
            return Err(rejected(
                ErrorCode::BadInput,
                format!("send at most {MAX_IMPORT_ROWS} rows at a time"),
            ));
        }
        let (schema, standing) = self.importing(supplier, category).await?;
        let may_sell = standing.may_sell_at(self.handler.now());
        let mut first_row: HashMap<ProductId, u32> = HashMap::new();
        let mut outcomes: Vec<Option<RowOutcome>> = Vec::with_capacity(rows.len());
        let mut work = Vec::with_capacity(rows.len());
        for (i, mut row) in rows.into_iter().enumerate() {
            row.sheet.category = category;
            if row.sheet.part_number.trim().is_empty() {
                outcomes.push(Some(RowOutcome::Failed(rejected(
                    ErrorCode::Missing,
                    "a part number is required: an import knows each product by it",
                ))));
                continue;
            }
            let id = imported_product_id(supplier, &row.sheet.part_number);
            if let Some(earlier) = first_row.insert(id, row.line) {
                outcomes.push(Some(RowOutcome::Failed(rejected(
                    ErrorCode::AlreadyExists,
                    format!(
                        "part number {} is also in row {} of this import",
                        row.sheet.part_number, earlier
                    ),
                ))));
                continue;
            }
            outcomes.push(None);
            work.push((i, id, row));
        }
        let schema = &schema.schema;
        let standing = &standing;
        // Rows go in chunks: one read of the store loads a chunk's products, then its rows are
        // decided and appended together (the store's group commit gathers them) while the next
        // chunk is read.
        let mut chunks: Vec<Vec<(usize, ProductId, ImportRow)>> = Vec::new();
        for item in work {
            match chunks.last_mut() {
                Some(chunk) if chunk.len() < IN_FLIGHT => chunk.push(item),
                _ => chunks.push(vec![item]),
            }
        }
        let mut done = futures::stream::iter(chunks)
            .map(|chunk| async move {
                let ids: Vec<ProductId> = chunk.iter().map(|(_, id, _)| *id).collect();
                // Should the chunk's read fail, each row reads its own product (and says why
                // it could not).
                let loaded: Vec<Option<Loaded<ProductState>>> =
                    match self.handler.load_many::<Product>(&ids).await {
                        Ok(loaded) => loaded.into_iter().map(Some).collect(),
                        Err(_) => ids.iter().map(|_| None).collect(),
                    };
                let rows = chunk
                    .into_iter()
                    .zip(loaded)
                    .map(|((i, id, row), loaded)| async move {
                        let outcome = self
                            .import_row(
                                ctx, supplier, standing, schema, id, row, publish, may_sell, loaded,
                            )
                            .await;
                        (i, outcome)
                    });
                futures::future::join_all(rows).await
            })
            .buffer_unordered(CHUNKS_IN_FLIGHT);
        let mut position = Position::START;
        while let Some(chunk) = done.next().await {
            for (i, outcome) in chunk {
                let outcome = match outcome {
                    Ok((outcome, at)) => {
                        position = position.max(at);
                        outcome
                    }
                    Err(e) => RowOutcome::Failed(e),
                };
                outcomes[i] = Some(outcome);
            }
        }
        drop(done);
        Ok((
            outcomes
                .into_iter()
                .map(|o| o.expect("every row answered"))
                .collect(),
            position,
        ))
    }

    /// Whether `supplier` may import into `category`: the category exists and the supplier
    /// serves it. Answers the category and the supplier's standing.
    pub async fn may_import(
        &self,
        supplier: SupplierId,
        category: CategoryId,
    ) -> Result<(), MarketError> {
        self.importing(supplier, category).await.map(|_| ())
    }

    async fn importing(
        &self,
        supplier: SupplierId,
        category: CategoryId,
    ) -> Result<(zhuchao_domain::category::CategoryState, SupplierState), MarketError> {
        let schema = self.handler.load::<Category>(category).await?.state;
        if !schema.created {
            return Err(MarketError::NotFound("category"));
        }
        let standing = self.supplier_standing(supplier).await?;
        if !standing.categories.contains(&category) {
            return Err(rejected(
                ErrorCode::CategoryNotServed,
                "the supplier did not register for this category",
            ));
        }
        Ok((schema, standing))
    }

    #[allow(clippy::too_many_arguments)]
    async fn import_row(
        &self,
        ctx: &CommandContext,
        supplier: SupplierId,
        standing: &SupplierState,
        schema: &zhuchao_domain::category::CategorySchema,
        id: ProductId,
        row: ImportRow,
        publish: bool,
        may_sell: bool,
        loaded: Option<Loaded<ProductState>>,
    ) -> Result<(RowOutcome, Position), MarketError> {
        let loaded = match loaded {
            Some(loaded) => loaded,
            None => self.handler.load::<Product>(id).await?,
        };
        let state = &loaded.state;
        let publishing = ProductCommand::Publish {
            supplier,
            supplier_may_sell: may_sell,
        };
        let (commands, created) = if !state.exists() {
            let mut commands = vec![ProductCommand::Draft {
                id,
                supplier,
                supplier_may_list: standing.may_list(),
                sheet: row.sheet,
                attributes: row.attributes,
                schema: schema.clone(),
            }];
            if publish {
                commands.push(publishing);
            }
            (commands, true)
        } else {
            if state.supplier != Some(supplier) {
                return Err(rejected(
                    ErrorCode::AlreadyExists,
                    "another product holds this part number's id",
                ));
            }
            let mut commands = Vec::new();
            let same = state.sheet.as_ref() == Some(&row.sheet)
                && schema.normalise(&row.attributes).ok().as_ref() == Some(&state.attributes);
            if !same {
                commands.push(ProductCommand::Revise {
                    supplier,
                    supplier_may_list: standing.may_list(),
                    sheet: row.sheet,
                    attributes: row.attributes,
                    schema: schema.clone(),
                });
            }
            if publish && state.status != ProductStatus::Published {
                commands.push(publishing);
            }
            if commands.is_empty() {
                return Ok((RowOutcome::Unchanged(id), loaded.position));
            }
            (commands, false)
        };
        let done = self
            .handler
            .execute_all_on::<Product>(id, Some(loaded), &commands, ctx)
            .await?;
        let outcome = if created {
            RowOutcome::Created(id)
        } else {
            RowOutcome::Updated(id)
        };
        Ok((outcome, done.position))
    }
}
