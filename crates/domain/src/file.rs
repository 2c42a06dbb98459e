//! How a file someone uploaded or mailed to us is served from our own origin. Its content type
//! is the sender's claim: served as is, `text/html` or `text/javascript` would run with the
//! signed-in reader's cookies. Only a short list of inert types is shown in the browser; every
//! other file is a download of bytes.

/// What every file not on the list is served as.
pub const DOWNLOAD_TYPE: &str = "application/octet-stream";

/// How to answer with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Serving {
    /// The `Content-Type` to send: ours, never the sender's text.
    pub content_type: &'static str,
    /// Shown in the browser (`Content-Disposition: inline`) or saved (`attachment`).
    pub inline: bool,
}

/// Images (PNG, JPEG, GIF, WebP), PDF and plain text in a known character set are shown;
/// anything else, SVG and HTML included, is downloaded as bytes.
pub fn serving(content_type: &str) -> Serving {
    let mut parts = content_type.split(';');
    let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let charset = parts
        .filter_map(|param| param.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
        .map(|(_, value)| value.trim().trim_matches('"').to_ascii_lowercase());
    let shown = match essence.as_str() {
        "image/png" => Some("image/png"),
        "image/jpeg" | "image/jpg" | "image/pjpeg" => Some("image/jpeg"),
        "image/gif" => Some("image/gif"),
        "image/webp" => Some("image/webp"),
        "application/pdf" => Some("application/pdf"),
        "text/plain" => match charset.as_deref() {
            None | Some("utf-8" | "utf8") => Some("text/plain; charset=utf-8"),
            Some("us-ascii" | "ascii") => Some("text/plain; charset=us-ascii"),
            Some("iso-8859-1" | "latin1") => Some("text/plain; charset=iso-8859-1"),
            Some("windows-1252") => Some("text/plain; charset=windows-1252"),
            Some(_) => None,
        },
        _ => None,
    };
    match shown {
        Some(content_type) => Serving {
            content_type,
            inline: true,
        },
        None => Serving {
            content_type: DOWNLOAD_TYPE,
            inline: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_could_run_is_a_download() {
        for claimed in [
            "text/javascript",
            "application/javascript",
            "text/html",
            "text/html; charset=utf-8",
            "application/xhtml+xml",
            "image/svg+xml",
            "text/xml",
            "application/xml",
            "text/css",
            "application/x-shockwave-flash",
            "text/plain; charset=utf-7",
            "text/plain; charset=utf-16",
            "multipart/x-mixed-replace; boundary=x",
            "",
            "garbage",
            "image/png\r\nX-Injected: 1",
        ] {
            assert_eq!(
                serving(claimed),
                Serving {
                    content_type: DOWNLOAD_TYPE,
                    inline: false
                },
                "{claimed:?}"
            );
        }
    }

    #[test]
    fn inert_types_are_shown_with_our_spelling() {
        for (claimed, served) in [
            ("image/png", "image/png"),
            ("IMAGE/PNG; name=\"x.png\"", "image/png"),
            ("image/jpg", "image/jpeg"),
            ("image/gif", "image/gif"),
            ("image/webp", "image/webp"),
            ("application/pdf", "application/pdf"),
            ("text/plain", "text/plain; charset=utf-8"),
            ("text/plain; charset=\"UTF-8\"", "text/plain; charset=utf-8"),
            (
                "text/plain; format=flowed; charset=iso-8859-1",
                "text/plain; charset=iso-8859-1",
            ),
        ] {
            assert_eq!(
                serving(claimed),
                Serving {
                    content_type: served,
                    inline: true
                },
                "{claimed:?}"
            );
        }
    }
}
