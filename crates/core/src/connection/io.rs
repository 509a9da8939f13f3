//! The runtime side of a connection: the reader task (decode, check, queue), the writer task
//! (flush the write buffer) and the lingering close.

use super::*;

pub(super) async fn read_loop<R: AsyncRead + Unpin>(shared: Arc<Shared>, mut reader: R, mut buf: BytesMut) {
    let mut inspector = Inspector::new(shared.role);
    let mut batch = Vec::new();
    let end = loop {
        let decoded = decode_available(&shared, &mut inspector, &mut buf, &mut batch);
        shared.undecoded.store(buf.len(), Ordering::Relaxed);
        let needed = match decoded {
            Ok(needed) => needed,
            Err(error) => break Err(error),
        };
        if !batch.is_empty() && shared.deliver(std::mem::take(&mut batch), None) {
            // Backpressure: stop reading the socket until the caller drains the queue.
            while shared.inbound_full() {
                shared.reader_resume.notified().await;
            }
        }
        // Grow toward what the frame needs, but never by more than one step: a declared length
        // reserves nothing until its bytes actually arrive.
        let missing = needed.saturating_sub(buf.len());
        buf.reserve(missing.clamp(defaults::READ_BUFFER_INITIAL, defaults::READ_BUFFER_STEP));
        match reader.read_buf(&mut buf).await {
            Ok(0) if buf.is_empty() => {
                // §7.1.1: after the close handshake the peer's FIN is the cue to close ours.
                if shared.close_sent.load(Ordering::SeqCst) && shared.close_received.load(Ordering::SeqCst) {
                    shared.finish_transport();
                }
                break Ok(());
            }
            // Poco spins forever on EOF inside a header (spec §4.6.1); report it instead.
            Ok(0) => break Err(Error::websocket(ErrorCode::IncompleteFrame, "Incomplete frame received")),
            Ok(_) => {}
            Err(error) => break Err(error.into()),
        }
    };
    match end {
        Err(error) if shared.fails_connection(&error) => shared.end_with_violation(batch, error),
        end => {
            shared.deliver(batch, Some(end));
        }
    }
}

/// Takes every complete frame off `buf` into `batch`, checking each against the protocol
/// rules; returns how many bytes would complete the next frame.
fn decode_available(
    shared: &Arc<Shared>,
    inspector: &mut Inspector,
    buf: &mut BytesMut,
    batch: &mut Vec<Frame>,
) -> Result<usize, Error> {
    loop {
        let policy = shared.policy();
        let Some(header) = frame::parse_header(buf) else {
            return Ok(frame::header_needed(buf));
        };
        frame::check_payload_len(&header, shared.max_payload.load(Ordering::Relaxed))?;
        inspector.on_header(&header, &policy)?;
        match frame::take(buf, &header)? {
            Decoded::Frame(frame) => {
                if inspector.on_frame(&frame, &policy)? {
                    batch.push(frame);
                }
                if inspector.close_received() {
                    shared.on_close_received();
                }
            }
            Decoded::NeedMore(needed) => {
                inspector.on_partial_payload(&header, &buf[header.len..])?;
                return Ok(needed);
            }
        }
    }
}

/// A lingering close: read and drop what the peer still sends until it closes.
pub(super) async fn discard_until_eof(mut tcp: SharedTcp) {
    let mut sink = [0u8; 4096];
    while matches!(tcp.read(&mut sink).await, Ok(n) if n > 0) {}
}

pub(super) async fn write_loop<W: AsyncWrite + Unpin>(shared: Arc<Shared>, mut writer: W) {
    let mut chunk = BytesMut::new();
    loop {
        let finishing = {
            let mut outbound = lock(&shared.outbound);
            std::mem::swap(&mut outbound.buf, &mut chunk);
            outbound.in_flight = chunk.len();
            outbound.closing || outbound.send_shut
        };
        if chunk.is_empty() {
            if finishing {
                let _ = writer.shutdown().await;
                if lock(&shared.outbound).closing {
                    shared.release_transport();
                }
                return;
            }
            shared.writer_kick.notified().await;
            continue;
        }
        let result = match writer.write_all(&chunk).await {
            Ok(()) => writer.flush().await,
            Err(error) => Err(error),
        };
        // Keep a small buffer for the next burst; give a large one back.
        if chunk.capacity() > defaults::READ_BUFFER_STEP {
            chunk = BytesMut::new();
        } else {
            chunk.clear();
        }
        let mut outbound = lock(&shared.outbound);
        outbound.in_flight = 0;
        if let Err(error) = result {
            outbound.error = Some(error.into());
            drop(outbound);
            shared.wake_writers();
            return;
        }
        drop(outbound);
        shared.wake_writers_if_writable();
    }
}
