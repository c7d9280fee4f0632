package org.cardbridge.testing.vcard;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A card in a vpcd virtual reader: "inserting" connects to the reader's TCP port, "removing" closes the
 * connection. vpcd's protocol: each message is a 2-byte big-endian length and a payload; a 1-byte
 * payload is a control code (0 power off, 1 power on, 2 reset, 4 get ATR — only the last is answered),
 * anything longer is a command APDU answered with the response APDU.
 */
public final class VpcdCard implements AutoCloseable {
    private final int port;
    private final CardBehaviour card;
    private final AtomicReference<Fault> fault = new AtomicReference<>(Fault.NONE);
    private final List<String> log = new ArrayList<>();
    private volatile Socket socket;
    private boolean powered;
    private Thread thread;

    public VpcdCard(int port, CardBehaviour card) {
        this.port = port;
        this.card = card;
    }

    public CardBehaviour card() {
        return card;
    }

    public void fault(Fault f) {
        fault.set(f == null ? Fault.NONE : f);
    }

    /** Inserts the card; vpcd accepts the connection once its reader is up, so this retries briefly. */
    public synchronized void insert() throws IOException {
        if (socket != null) {
            return;
        }
        IOException last = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                s.setTcpNoDelay(true);
                socket = s;
                powered = false;
                thread = new Thread(() -> serve(s), "vpcd-card-" + port);
                thread.setDaemon(true);
                thread.start();
                awaitAtrRead(deadline);
                return;
            } catch (IOException e) {
                last = e;
                sleep(50);
            }
        }
        throw new IOException("vpcd on port " + port + " does not accept the card", last);
    }

    /** pcscd polls vpcd; the card counts as inserted once pcscd has read its ATR. */
    private void awaitAtrRead(long deadline) throws IOException {
        try {
            while (!powered) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || socket == null) {
                    throw new IOException("pcscd did not read the card's ATR on port " + port);
                }
                wait(Math.max(1, left / 1_000_000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while inserting", e);
        }
    }

    /** Pulls the card out, at whatever point the reader is. */
    public synchronized void remove() {
        Socket s = socket;
        socket = null;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing is all we wanted
            }
        }
    }

    public boolean inserted() {
        return socket != null;
    }

    /** Hex of every command APDU seen, for diagnostics in failing tests. */
    public synchronized List<String> apduLog() {
        return List.copyOf(log);
    }

    private void serve(Socket s) {
        try (s; var in = new DataInputStream(s.getInputStream());
             var out = new DataOutputStream(new java.io.BufferedOutputStream(s.getOutputStream()))) {
            while (true) {
                quickAck(s);
                int length = in.readUnsignedShort();
                byte[] payload = in.readNBytes(length);
                if (payload.length < length) {
                    return;
                }
                if (length == 1) {
                    switch (payload[0]) {
                        case 0, 1, 2 -> card.reset();
                        case 4 -> {
                            send(out, card.atr());
                            synchronized (this) {
                                powered = true;
                                notifyAll();
                            }
                        }
                        default -> { } // unknown control codes are ignored, as vpicc does
                    }
                    continue;
                }
                synchronized (this) {
                    if (log.size() < 10_000) {
                        log.add(HexFormat.of().formatHex(payload));
                    }
                }
                switch (fault.get().decide(payload)) {
                    case Fault.Pass p -> send(out, card.transmit(payload));
                    case Fault.Answer a -> send(out, a.response());
                    case Fault.Pull pull -> {
                        if (pull.afterProcessing()) {
                            card.transmit(payload);
                        }
                        remove();
                        return;
                    }
                }
            }
        } catch (EOFException e) {
            // vpcd closed the connection (pcscd stopped)
        } catch (IOException e) {
            // removed by the test, or pcscd went away
        } finally {
            synchronized (this) {
                if (socket == s) {
                    socket = null;
                }
            }
        }
    }

    /**
     * vpcd writes the length and the APDU in two small sends; with Nagle on its side and delayed ACKs on
     * ours every APDU would wait ~40 ms for our ACK. Quick ACK (Linux; re-armed before every read) avoids it.
     */
    private static void quickAck(Socket s) {
        try {
            if (s.supportedOptions().contains(jdk.net.ExtendedSocketOptions.TCP_QUICKACK)) {
                s.setOption(jdk.net.ExtendedSocketOptions.TCP_QUICKACK, true);
            }
        } catch (IOException | UnsupportedOperationException ignored) {
            // only slower
        }
    }

    private static void send(DataOutputStream out, byte[] payload) throws IOException {
        out.writeShort(payload.length);
        out.write(payload);
        out.flush();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        remove();
    }
}
