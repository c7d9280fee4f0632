package org.cardbridge.protocol;

import java.io.IOException;
import java.util.Map;
import org.cardbridge.log.Level;
import org.cardbridge.log.Log;

/**
 * The host's side of the port: results, errors, progress and events, each one whole frame. A result
 * too large for the browsers is replaced by a MESSAGE_TOO_LARGE error for the same id. When the
 * browser has gone, sends are dropped: the reader sees end of input and the session ends.
 */
public final class MessageChannel {
    private static final Log LOG = Log.get(MessageChannel.class);
    private final FrameWriter writer;
    private volatile boolean broken;

    public MessageChannel(FrameWriter writer) {
        this.writer = writer;
    }

    public void result(String id, Object result) {
        byte[] frame;
        try {
            frame = Messages.result(id, result);
        } catch (IllegalArgumentException e) {
            LOG.log(Level.SEVERE, "result of " + id + " does not serialise", e);
            error(id, new HostException(ErrorCode.INTERNAL_ERROR, "the result could not be encoded"));
            return;
        }
        if (frame.length > FrameWriter.MAX_OUTGOING) {
            error(id, new HostException(ErrorCode.MESSAGE_TOO_LARGE,
                    "the result is " + frame.length + " bytes, more than the browsers accept (" + FrameWriter.MAX_OUTGOING + ")",
                    Map.of("length", frame.length, "limit", FrameWriter.MAX_OUTGOING)));
            return;
        }
        send(frame);
    }

    public void error(String id, HostException e) {
        send(Messages.error(id, e));
    }

    public void progress(String id, Map<String, Object> progress) {
        send(Messages.progress(id, progress));
    }

    public void event(String name, Object data) {
        send(Messages.event(name, data));
    }

    public boolean isBroken() {
        return broken;
    }

    private void send(byte[] frame) {
        if (broken) {
            return;
        }
        try {
            writer.write(frame);
        } catch (HostException e) {
            LOG.warning("dropped an oversized message: " + e.getMessage());
        } catch (IOException e) {
            broken = true;
            LOG.info("the browser closed the port: " + e.getMessage());
        }
    }
}
