//! Subcommands of the `peregrine` command line.

pub mod rules;
