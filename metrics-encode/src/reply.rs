//! What a render gives out: the rendered bytes, gzipped if the scrape asked for it, after which
//! a reset scrape's reset is committed.

use std::io::Write as _;

use coremeter::Reset;
use flate2::Compression;
use flate2::write::GzEncoder;

/// The reply from a rendered `body`: gzipped into `gzipped` if asked; then the reset, if it is a
/// reset scrape, is committed (the reply is produced: what it holds is reset).
pub(crate) fn finish<'a>(
    body: &'a [u8],
    gzip: bool,
    gzipped: &'a mut Vec<u8>,
    reset: Option<Reset>,
) -> &'a [u8] {
    let reply = if gzip {
        gzipped.clear();
        let mut gz = GzEncoder::new(std::mem::take(gzipped), Compression::fast());
        // Writing to a Vec cannot fail.
        let _ = gz.write_all(body);
        *gzipped = gz.finish().unwrap_or_default();
        gzipped.as_slice()
    } else {
        body
    };
    if let Some(reset) = reset {
        reset.commit();
    }
    reply
}
