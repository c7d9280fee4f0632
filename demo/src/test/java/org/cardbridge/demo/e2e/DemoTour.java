package org.cardbridge.demo.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.cardbridge.testing.ChromiumBrowser;
import org.cardbridge.testing.Xvfb;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;

import java.time.Duration;
import java.util.List;

/**
 * The headless half of {@code .ci/demo}: with no display, it clicks through the renewal on the running
 * portal in headless Chromium (real extension, real host), answers the host's dialogs on a private Xvfb
 * by typing the PIN, prints every step the page logs, and the card before and after.
 * Usage: {@code DemoTour <portal-url> <pin>}; the environment carries CARDBRIDGE_POLICY, SOFTHSM2_CONF and
 * CARDBRIDGE_STATE_DIR for the host.
 */
public final class DemoTour {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final ChromeDriver driver;
    private int printed;

    private DemoTour(ChromeDriver driver) {
        this.driver = driver;
    }

    public static void main(String[] args) throws Exception {
        // Selenium's notes about CDP versions are not the demo's business.
        java.util.logging.Logger.getLogger("org.openqa.selenium").setLevel(java.util.logging.Level.SEVERE);
        String url = args[0];
        String pin = args[1];
        int code;
        try (Xvfb xvfb = Xvfb.start()) {
            ChromiumBrowser.Builder b = ChromiumBrowser.builder();
            for (String v : List.of("CARDBRIDGE_POLICY", "SOFTHSM2_CONF", "CARDBRIDGE_STATE_DIR")) {
                b.env(v, System.getenv(v));
            }
            xvfb.environment().forEach(b::env);
            try (ChromiumBrowser browser = b.start(); HostDialogs dialogs = new HostDialogs(xvfb, pin)) {
                code = new DemoTour(browser.driver()).run(url) ? 0 : 1;
                System.out.println("  (the host's dialogs were answered " + dialogs.given().size() + " times, the PIN typed into its own window)");
            }
        }
        System.exit(code);
    }

    private boolean run(String url) throws Exception {
        // CARDBRIDGE_DEMO_MODE=cmp: the other way of the portal, a CMP key update request to the CA's /cmp.
        boolean cmp = "cmp".equals(System.getenv("CARDBRIDGE_DEMO_MODE"));
        driver.get(url + "?lang=" + (System.getenv().getOrDefault("LANG", "").startsWith("pl") ? "pl" : "en") + (cmp ? "&mode=cmp" : ""));
        await("ready");
        step("the card before the renewal:");
        printCard();
        if (cmp) {
            step("reading the card (CMP: no renewal code)");
            click("read-card");
            if (!await("form")) {
                return false;
            }
            step("renewing over CMP: a new key, a request signed with the current certificate, the CA's answer installed");
            click("renew");
            if (!await("done")) {
                return false;
            }
            step(driver.findElement(By.id("done-text")).getText());
            step("the card after the renewal:");
            printCard();
            return true;
        }
        step("buying a renewal code in the demo shop");
        click("buy-code");
        waitFor(() -> !driver.findElement(By.id("demo-code")).getText().isBlank());
        step("code: " + driver.findElement(By.id("demo-code")).getText());
        step("reading the card");
        click("read-card");
        if (!await("form")) {
            return false;
        }
        step("renewing, new certificate valid at once");
        click("renew");
        if (!await("application")) {
            return false;
        }
        step("the application the CA prepared:");
        driver.findElement(By.id("application-text")).getText().lines().forEach(l -> System.out.println("    | " + l));
        step("signing it with the current certificate and sending it");
        click("sign-submit");
        if (!await("done")) {
            return false;
        }
        step(driver.findElement(By.id("done-text")).getText());
        step("the card after the renewal:");
        printCard();
        return true;
    }

    private void click(String id) {
        driver.findElement(By.id(id)).click();
    }

    /** Waits for the page state, printing the page's own log as it grows; false (with the message) on an error. */
    private boolean await(String state) {
        long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < end) {
            printLog();
            String now = (String) ((JavascriptExecutor) driver).executeScript("return document.body.dataset.state");
            if (state.equals(now)) {
                printLog();
                return true;
            }
            if ("error".equals(now)) {
                printLog();
                System.out.println("FAILED: " + driver.findElement(By.id("message")).getText());
                return false;
            }
            pause();
        }
        System.out.println("FAILED: the page did not reach '" + state + "' in time");
        return false;
    }

    private void waitFor(java.util.function.BooleanSupplier condition) {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < end) {
            pause();
        }
    }

    private void printLog() {
        List<String> lines = driver.findElements(By.cssSelector("#log li")).stream().map(e -> e.getText()).toList();
        for (; printed < lines.size(); printed++) {
            System.out.println("    page: " + lines.get(printed));
        }
    }

    private void printCard() throws Exception {
        String raw = (String) ((JavascriptExecutor) driver).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                import("/cardbridge/cardbridge.js").then(async (cb) => {
                  const { tokens } = await cb.listTokens();
                  const t = tokens.find((x) => x.present);
                  done(JSON.stringify({ token: t.label, ...(await cb.listCertificates({ token: t.token })) }));
                }).catch((e) => done(JSON.stringify({ error: e.code ?? String(e), message: e.message })));
                """);
        JsonNode card = JSON.readTree(raw);
        if (card.has("error")) {
            System.out.println("    cannot list the card: " + card);
            return;
        }
        System.out.println("    card '" + card.path("token").asText() + "':");
        for (JsonNode c : card.path("certificates")) {
            System.out.printf("      %s %s%n        serial %s, valid %s .. %s, key %s%s%n", c.path("isCa").asBoolean() ? "CA certificate" : "certificate",
                    c.path("subject").asText(), c.path("serialNumber").asText(), c.path("notBefore").asText(), c.path("notAfter").asText(),
                    c.path("keyId").asText(), c.path("hasPrivateKey").asBoolean() ? " (private key on the card)" : "");
        }
        for (JsonNode k : card.path("pendingKeys")) {
            System.out.println("      key without a certificate yet: " + k.path("algorithm").asText() + " " + k.path("keyId").asText());
        }
    }

    private static void step(String text) {
        System.out.println("cardbridge demo: " + text);
    }

    private static void pause() {
        try {
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
