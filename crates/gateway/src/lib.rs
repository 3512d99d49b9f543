//! Zhuchao's GraphQL gateway: the one API of the marketplace. Sign-in, read models folded from
//! the event stream, queries guarded by role and ownership, mutations that run the application's
//! use cases and answer with the position they wrote, and subscriptions.

pub mod access;
pub mod analytics_api;
pub mod api;
pub mod auth;
pub mod compression;
pub mod connections;
pub mod demo;
pub mod enums;
pub mod errors;
pub mod global_id;
pub mod graphiql;
pub mod headers;
pub mod history;
pub mod http;
pub mod import;
pub mod limits;
pub mod mutation;
pub mod node;
pub mod password_policy;
pub mod payloads;
pub mod query;
pub mod read;
pub mod relay;
pub mod scalars;
pub mod sessions;
pub mod subscription;
pub mod supplier_profile;
pub mod text_limits;
pub mod throttle;
pub mod timeline;
pub mod trade;
pub mod traffic;
pub mod types;
pub mod web;
