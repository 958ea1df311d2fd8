//! Helpers shared by the SDK's integration tests: a collector stand-in and a sandbox per
//! test.

// Each test file uses a part of these helpers.
#![allow(dead_code)]

pub mod collector;
pub mod sandbox;
