//! The cursors of the API's id-ordered lists (tickets `t`, the audit trail `e`, a ticket's
//! messages `m`). They are opaque to clients; today each carries its list's letter and the id
//! the next page starts below, so a cursor of one list is refused by another.

use crate::error::{ApiError, ApiResult};

pub fn encode(list: char, before_id: i64) -> String {
    format!("{list}{before_id}")
}

pub fn decode(list: char, cursor: &str) -> ApiResult<i64> {
    cursor
        .strip_prefix(list)
        .and_then(|id| id.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_cursor",
                "`cursor` is not one this server handed out; use `next_cursor` from the previous page as it is.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(decode('t', &encode('t', 42)).ok(), Some(42));
        for bad in ["", "42", "tx", "t-1", "t0"] {
            assert!(decode('t', bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn audit_cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(decode('e', &encode('e', 42)).ok(), Some(42));
        for bad in ["", "42", "ex", "e-1", "e0"] {
            assert!(decode('e', bad).is_err(), "{bad}");
        }
        assert!(
            decode('e', &encode('t', 42)).is_err(),
            "another list's cursor"
        );
    }

    #[test]
    fn message_cursors_round_trip_and_other_lists_are_refused() {
        assert_eq!(decode('m', &encode('m', 7)).ok(), Some(7));
        for bad in ["", "7", "t7", "e7", "m0", "m-3", "mx"] {
            assert!(decode('m', bad).is_err(), "{bad}");
        }
    }
}
