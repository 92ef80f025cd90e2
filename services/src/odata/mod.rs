//! OData query options (seed 002): being written.
