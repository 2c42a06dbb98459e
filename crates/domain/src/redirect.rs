//! Where a browser may be sent after signing in. The target (`next`) comes from a query string
//! or a form, so anyone can write it into a link: only a path on this site is followed, and
//! everything else falls back to the start page. One rule for the workspace and the portal.
//!
//! Browsers are generous readers of `Location`: they drop tabs and line breaks anywhere, read
//! `\` as `/`, and take `//host` (or `/\host`, or `/<tab>/host`) as another site. So the rule
//! accepts printable ASCII only, one leading `/`, no backslash and no `.`/`..` segment; a line
//! break can never reach a header either.

/// Where an agent lands when `next` is missing or refused.
pub const WORKSPACE_HOME: &str = "/";
/// Where a customer lands when `next` is missing or refused.
pub const PORTAL_HOME: &str = "/portal";

/// Longer targets are refused: no page of ours needs one, and they end up in headers.
const MAX_PATH_BYTES: usize = 2000;

/// `raw` when it is a path on this site beginning with `within` (itself starting with `/`);
/// `None` for anything a browser could read as another site or that is not a plain path.
pub fn local_path<'a>(raw: &'a str, within: &str) -> Option<&'a str> {
    let plain = raw.len() <= MAX_PATH_BYTES
        && raw.starts_with('/')
        && raw.starts_with(within)
        && !raw[1..].starts_with('/')
        && raw
            .bytes()
            .all(|byte| byte.is_ascii_graphic() && byte != b'\\')
        && !has_dot_segment(raw);
    plain.then_some(raw)
}

/// Where an agent goes after signing in: `next` when it is a workspace path (with its query).
pub fn after_sign_in(next: Option<&str>) -> &str {
    next.and_then(|raw| local_path(raw, WORKSPACE_HOME))
        .unwrap_or(WORKSPACE_HOME)
}

/// Where a customer goes after signing in: `next` when it is a portal page other than a
/// sign-in link. Portal pages need no query, and `next` travels inside a mailed link, so only
/// letters, digits and `-._~/` are kept: the target goes into the link as it is.
pub fn after_portal_sign_in(next: Option<&str>) -> &str {
    next.and_then(|raw| local_path(raw, "/portal/"))
        .filter(|path| !path.starts_with("/portal/link/"))
        .filter(|path| !path.contains("//") && !path.ends_with('/'))
        .filter(|path| {
            path.bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte))
        })
        .unwrap_or(PORTAL_HOME)
}

/// A `.` or `..` segment (also spelled `%2e`) in the path: a browser resolves it, so
/// `/portal/../sign-in` would leave the part of the site it claims to be in.
fn has_dot_segment(raw: &str) -> bool {
    let path = raw.split(['?', '#']).next().unwrap_or(raw);
    path.split('/').any(|segment| {
        let segment = segment.to_ascii_lowercase().replace("%2e", ".");
        segment == "." || segment == ".."
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `next` values that would send a browser elsewhere, or break a header.
    const HOSTILE: &[&str] = &[
        // `next=/%09/evil.example/` once the query is decoded: a browser drops the tab.
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/\r/evil.example/",
        "/\r\nSet-Cookie: a=b",
        "/tickets/1\n",
        "/tickets/1\u{0}",
        "/tickets/1\u{7f}",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\/evil.example/",
        "/tickets\\..\\..\\evil",
        "/ /evil.example/",
        " /evil.example/",
        "https://evil.example/",
        "http:/evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "",
        // Look-alike slashes, invisible and direction characters.
        "/\u{2215}evil.example",
        "/\u{ff0f}evil.example",
        "/\u{2044}evil.example",
        "/\u{200b}/evil.example",
        "/\u{feff}/evil.example",
        "/\u{202e}elpmaxe.live//",
        "/\u{a0}/evil.example",
        "/tickets/é",
    ];

    #[test]
    fn hostile_targets_fall_back_to_the_start_page() {
        for raw in HOSTILE {
            assert_eq!(local_path(raw, "/"), None, "{raw:?}");
            assert_eq!(after_sign_in(Some(raw)), WORKSPACE_HOME, "{raw:?}");
            if raw.starts_with('/') {
                let in_portal = format!("/portal{raw}");
                assert_eq!(
                    after_portal_sign_in(Some(&in_portal)),
                    PORTAL_HOME,
                    "{in_portal:?}"
                );
            }
            assert_eq!(after_portal_sign_in(Some(raw)), PORTAL_HOME, "{raw:?}");
        }
        assert_eq!(after_sign_in(None), WORKSPACE_HOME);
        assert_eq!(after_portal_sign_in(None), PORTAL_HOME);
        assert_eq!(local_path(&format!("/{}", "a".repeat(2000)), "/"), None);
    }

    #[test]
    fn a_path_of_ours_is_kept_with_its_query() {
        for path in [
            "/",
            "/tickets/12",
            "/tickets/12?done=Saved%20it",
            "/?view=mine&q=printer",
            "/customers/3#history",
            "/tickets/12/..x",
        ] {
            assert_eq!(after_sign_in(Some(path)), path);
        }
    }

    #[test]
    fn dot_segments_cannot_leave_the_prefix() {
        for raw in [
            "/portal/../sign-in",
            "/portal/./tickets/1",
            "/portal/%2e%2e/sign-in",
            "/portal/%2E./sign-in",
            "/portal/tickets/..",
        ] {
            assert_eq!(local_path(raw, "/portal/"), None, "{raw:?}");
        }
    }

    #[test]
    fn the_portal_keeps_only_its_own_pages_and_never_a_sign_in_link() {
        assert_eq!(
            after_portal_sign_in(Some("/portal/tickets/4")),
            "/portal/tickets/4"
        );
        for raw in [
            "/portal",
            "/portalx/tickets/4",
            "/tickets/4",
            "/portal/link/abc",
            "/portal/tickets/4?next=//evil.example",
            "/portal/tickets/4#top",
            "/portal/",
            "/portal//evil.example",
            "/portal/tickets/4&next=x",
            "/portal/a:b",
            "/portal/a%0Ab",
        ] {
            assert_eq!(after_portal_sign_in(Some(raw)), PORTAL_HOME, "{raw:?}");
        }
    }
}
