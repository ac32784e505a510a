//! Exceptions. The work queue arrives with its own issue; the severity rule of spec 2.3 is here
//! already because the demo data raises its exceptions with it.

pub mod rules;
