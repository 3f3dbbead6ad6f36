//! Maintenance, apart from the pipeline (it drives the pipeline, never the other way): [`diff`]
//! compares what two sets of inputs generate and classifies the changes for semver, [`record`]
//! writes a bump (pins, version, CHANGELOG entry), [`commits`] reads and moves the commit in a
//! pinned URL, [`dates`] formats dates for entries and reports, [`crosscheck`] compares the two
//! front ends.

pub mod commits;
pub mod crosscheck;
pub mod dates;
pub mod diff;
pub mod record;
