//! Agent definitions (variations): being written.
