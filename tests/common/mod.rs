//! Helpers shared by the integration tests.

pub mod browser;
pub mod serve;
pub mod shards;
pub mod webdriver;
