//! Shared pieces of Zhuchao's benchmark binaries: latency statistics and a throwaway PostgreSQL
//! server to measure the same workload against, in the same run.

pub mod fold_all;
pub mod market_history;
pub mod pages;
pub mod postgres;
pub mod stats;
