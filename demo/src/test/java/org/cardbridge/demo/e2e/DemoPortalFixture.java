package org.cardbridge.demo.e2e;

import org.cardbridge.demo.DemoCa;
import org.cardbridge.demo.DemoServer;
import org.cardbridge.testing.Xvfb;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * What the browser tests of the demo share: one Xvfb display per test class (the host's windows), and per
 * test a fresh demo CA on loopback (a test that moves the CA's clock leaves the others alone) and a fresh
 * directory for the person's card, browser profile and host state. Register with
 * {@code @RegisterExtension static final DemoPortalFixture portal = new DemoPortalFixture();}.
 */
final class DemoPortalFixture implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
    private Path root;
    private Xvfb xvfb;
    private DemoCa ca;
    private DemoServer server;
    private Path dir;

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        root = Files.createTempDirectory("cb-" + context.getRequiredTestClass().getSimpleName() + "-");
        xvfb = Xvfb.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (xvfb != null) {
            xvfb.close();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory(root, context.getRequiredTestMethod().getName() + "-");
        ca = DemoCa.open(dir.resolve("ca"), Clock.systemUTC());
        server = new DemoServer(ca, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), null).start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (server != null) {
            server.close();
            server = null;
        }
    }

    Xvfb xvfb() {
        return xvfb;
    }

    DemoCa ca() {
        return ca;
    }

    DemoServer server() {
        return server;
    }

    /** This test's own directory (the CA's files are under {@code ca/}). */
    Path dir() {
        return dir;
    }

    /** The portal's origin as the browser loads it. */
    String origin() {
        return "http://localhost:" + server.port();
    }
}
