//! Wording: see the module above.
