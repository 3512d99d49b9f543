//! Where the pure domain meets the event store: load an aggregate's stream, decide, append with
//! the expected version (retrying on conflicts), and the process managers and durable timers that
//! carry the marketplace from one aggregate to the next (accepted quote → order → escrow → …).

pub mod handler;
pub mod health;
pub mod import;
pub mod marketplace;
pub mod ports;
pub mod process_store;
pub mod processes;
pub mod timers;

pub use handler::{AppError, CommandContext, CommandHandler, Executed};
pub use health::Health;
pub use ports::{
    Clock, IdGenerator, ManualClock, PaymentProvider, SimulatedPayments, SystemClock, UuidV7Ids,
};
