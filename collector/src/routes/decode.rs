//! Turning a request body into JSON bytes: gzip (header, query or magic bytes), posthog-js's
//! form-encoded base64 `data=`, the size cap enforced while inflating. The JSON itself is
//! read by [`super::Envelope`] and counted by [`super::Budget`].

use super::error::ApiError;
use base64::Engine as _;
use hush_config::LimitsConfig;
use std::borrow::Cow;
use std::io::Read;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// How the client said the body is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Nothing said; gzip is still recognised by its magic bytes.
    None,
    /// `Content-Encoding: gzip` or `?compression=gzip` (or posthog-js's `gzip-js`).
    Gzip,
    /// `?compression=base64`.
    Base64,
}

impl Compression {
    /// From the `Content-Encoding` header and the `compression` query parameter.
    ///
    /// # Errors
    /// 400 for an encoding the collector does not speak (e.g. posthog-js's legacy `lz64`).
    pub fn from_request(
        content_encoding: Option<&str>,
        query: Option<&str>,
    ) -> Result<Self, ApiError> {
        let from_query = query.and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "compression")
                .map(|(_, v)| v.to_ascii_lowercase())
        });
        match from_query.as_deref() {
            Some("gzip") | Some("gzip-js") => return Ok(Compression::Gzip),
            Some("base64") => return Ok(Compression::Base64),
            Some("") | None => {}
            Some(_) => {
                return Err(ApiError::bad_request(
                    "unsupported_compression",
                    "the `compression` query parameter must be gzip, gzip-js or base64",
                ))
            }
        }
        match content_encoding
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None | Some("") | Some("identity") => Ok(Compression::None),
            Some("gzip") | Some("x-gzip") => Ok(Compression::Gzip),
            Some(_) => Err(ApiError::bad_request(
                "unsupported_encoding",
                "Content-Encoding must be gzip or identity",
            )),
        }
    }
}

/// Decodes a body into the JSON bytes it carries: borrowed when it is plain JSON, inflated or
/// decoded otherwise.
///
/// # Errors
/// 413 when the body inflates past `limits.max_body_bytes` (the inflater stops there), 400
/// for bad gzip, bad base64 or a form without `data`.
pub fn decode_body<'a>(
    body: &'a [u8],
    is_form: bool,
    compression: Compression,
    limits: &LimitsConfig,
) -> Result<Cow<'a, [u8]>, ApiError> {
    let mut bytes: Cow<'a, [u8]> = body.into();
    if is_form || body.starts_with(b"data=") {
        bytes = form_data(&bytes)?.into();
    } else if compression == Compression::Base64 {
        bytes = base64_decode(&bytes)?.into();
    }
    if compression == Compression::Gzip || bytes.starts_with(&GZIP_MAGIC) {
        bytes = gunzip(&bytes, limits.max_body_bytes)?.into();
    }
    if bytes.len() > limits.max_body_bytes {
        return Err(too_large(limits));
    }
    Ok(bytes)
}

fn too_large(limits: &LimitsConfig) -> ApiError {
    ApiError::TooLarge {
        code: "body_too_large",
        detail: format!(
            "the body is larger than {} bytes after decompression",
            limits.max_body_bytes
        ),
    }
}

/// Inflates at most `max + 1` bytes, so a gzip bomb costs no more than the limit.
///
/// The output buffer is sized from the gzip trailer's ISIZE (the inflated size modulo 2^32)
/// when that is plausible, so an honest body is inflated without the buffer doubling (and
/// briefly existing twice); a body that lies about its size still stops at `max + 1`.
fn gunzip(bytes: &[u8], max: usize) -> Result<Vec<u8>, ApiError> {
    let trailer = bytes
        .len()
        .checked_sub(4)
        .and_then(|at| bytes.get(at..))
        .and_then(|isize| <[u8; 4]>::try_from(isize).ok())
        .map(|isize| u32::from_le_bytes(isize) as usize)
        .filter(|size| *size <= max);
    let capacity = trailer.map_or(bytes.len().saturating_mul(4), |size| size + 1);
    let mut out = Vec::with_capacity(capacity.min(max + 1));
    flate2::read::MultiGzDecoder::new(bytes)
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| ApiError::bad_request("invalid_gzip", "the body is not valid gzip"))?;
    if out.len() > max {
        return Err(ApiError::TooLarge {
            code: "body_too_large",
            detail: format!("the body is larger than {max} bytes after decompression"),
        });
    }
    Ok(out)
}

/// posthog-js: `data=<base64 of JSON or of gzip>` form-encoded.
fn form_data(body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let data = form_urlencoded::parse(body)
        .find(|(k, _)| k == "data")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| {
            ApiError::bad_request("missing_data", "a form-encoded body needs a `data` field")
        })?;
    let trimmed = data.trim();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return Ok(trimmed.as_bytes().to_vec());
    }
    base64_decode(trimmed.as_bytes())
}

fn base64_decode(bytes: &[u8]) -> Result<Vec<u8>, ApiError> {
    let cleaned: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
        &base64::engine::general_purpose::STANDARD_NO_PAD,
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
    ];
    engines
        .iter()
        .find_map(|engine| engine.decode(&cleaned).ok())
        .ok_or_else(|| ApiError::bad_request("invalid_base64", "`data` is not valid base64"))
}
