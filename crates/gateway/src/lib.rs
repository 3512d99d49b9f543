//! Zhuchao's GraphQL gateway: the one API of the marketplace. Sign-in, read models folded from
//! the event stream, queries guarded by role and ownership, mutations that run the application's
//! use cases and answer with the position they wrote, and subscriptions.

pub mod access;
pub mod analytics_api;
pub mod api;
pub mod auth;
pub mod demo;
pub mod errors;
pub mod graphiql;
pub mod headers;
pub mod http;
pub mod limits;
pub mod mutation;
pub mod node;
pub mod password_policy;
pub mod query;
pub mod sessions;
pub mod subscription;
pub mod text_limits;
pub mod throttle;
pub mod traffic;
pub mod types;
pub mod views;
pub mod web;
