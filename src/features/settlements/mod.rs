//! Settlements. The page and lifecycle arrive with their own issue; the per-transaction maths of
//! spec 4.2 is here already because the demo data's batches are computed with it.

pub mod calc;
