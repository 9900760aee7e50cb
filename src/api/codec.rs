//! The protobuf codec of every service, with a small first encode buffer, and request
//! messages that do not decode answered `INVALID_ARGUMENT` naming the field.
//!
//! tonic's prost codec answers a message that does not decode (invalid UTF-8 in a string,
//! truncated bytes, a `Struct` nested past prost's recursion limit) with `INTERNAL "failed
//! to decode Protobuf message: …"`, which tells a caller the gateway is broken. The caller
//! sent it, so it is `INVALID_ARGUMENT` `MALFORMED_REQUEST`, with a `BadRequest` on the
//! request field prost was decoding when it failed (from its error's field path), or on
//! `request` when that is not known.
//!
//! Tonic's default codec reserves 8 KiB per response stream up front. For a unary
//! call that is gone in microseconds, but every open `Subscribe` stream holds it for
//! the stream's life: at 10,000 idle trigger streams that buffer alone was 80 MB
//! (BENCHMARKS.md §8). A heartbeat encodes to under 100 bytes and an event to a
//! few hundred, so the buffer starts at 512 bytes and grows, as `BytesMut` does,
//! only for the messages that need more.

use std::marker::PhantomData;

use tonic::Status;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic_prost::ProstEncoder;

use crate::status;

/// First size of a response's encode buffer, in bytes.
const ENCODE_BUFFER: usize = 512;
/// Tonic's default: how much encoded data is written before yielding.
const YIELD_THRESHOLD: usize = 32 * 1024;

/// tonic's `ProstCodec` with a 512-byte (`ENCODE_BUFFER`) first encode buffer; set as the
/// codec of every generated service in `build.rs`.
#[derive(Debug, Clone)]
pub struct SmallBufferCodec<T, U>(PhantomData<(T, U)>);

impl<T, U> Default for SmallBufferCodec<T, U> {
    fn default() -> Self {
        SmallBufferCodec(PhantomData)
    }
}

impl<T, U> Codec for SmallBufferCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = RequestDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstEncoder::new(BufferSettings::new(ENCODE_BUFFER, YIELD_THRESHOLD))
    }

    fn decoder(&mut self) -> Self::Decoder {
        RequestDecoder(PhantomData)
    }
}

/// Decodes a `U`; a message that does not decode is the sender's mistake.
#[derive(Debug)]
pub struct RequestDecoder<U>(PhantomData<U>);

impl<U: prost::Message + Default> Decoder for RequestDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        U::decode(buf)
            .map(Some)
            .map_err(|e| status::undecodable(&e.to_string()))
    }
}
