package org.cardbridge.testing;

import org.cardbridge.policy.ExtensionIds;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.remote.RemoteWebDriver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A browser with the CardBridge extension and the host manifest, for tests that run in each browser:
 * Debian's Chromium ({@link ChromiumBrowser}) or firefox-esr ({@link FirefoxBrowser}), driven with the same
 * Selenium calls through {@link #driver()}. Each browser finds and starts the host its own way (Chromium:
 * {@code <profile>/NativeMessagingHosts/}; Firefox: {@code $HOME/.mozilla/native-messaging-hosts/}, with the
 * add-on id as the host's second argument).
 */
public interface Browser extends AutoCloseable {
    enum Kind {
        CHROMIUM, FIREFOX;

        /** e.g. {@code chromium}: in screenshot names and test names. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * Whether the browser is installed. Under {@code CI=true} a missing one fails the test (CI installs
         * both, .ci/setup.sh); elsewhere the test is aborted with the reason, never passed.
         */
        public void requireInstalled() {
            Path binary = Path.of(this == CHROMIUM ? ChromiumBrowser.CHROMIUM : FirefoxBrowser.FIREFOX);
            if (Files.isExecutable(binary)) {
                return;
            }
            String why = binary + " is not installed (.ci/setup.sh installs it)";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(why);
            }
            Assumptions.abort(why);
        }

        /**
         * Starts this browser with the extension and the host manifest; {@code env} reaches the host the
         * browser starts; {@code language} (e.g. {@code en-GB}, {@code pl}) is the browser's UI language,
         * which the extension's texts and the host's windows follow.
         */
        public Browser start(Map<String, String> env, String language) {
            return start(env, language, List.of());
        }

        /**
         * As {@link #start(Map, String)}, with {@code loopbackNames} (e.g. {@code outside.example}) resolving
         * to 127.0.0.1 and the test servers' self-signed certificates accepted, so a page can have an
         * https origin other than localhost.
         */
        public Browser start(Map<String, String> env, String language, List<String> loopbackNames) {
            requireInstalled();
            if (this == CHROMIUM) {
                ChromiumBrowser.Builder b = ChromiumBrowser.builder()
                        // The UI language (chrome.i18n.getUILanguage): --lang in headless Chromium, LANGUAGE elsewhere.
                        .env("LANGUAGE", language.replace('-', '_'))
                        .arg("--lang=" + language);
                if (!loopbackNames.isEmpty()) {
                    b.hostResolverRules(String.join(",", loopbackNames.stream().map(n -> "MAP " + n + " 127.0.0.1").toList()))
                            .arg("--ignore-certificate-errors");
                }
                env.forEach(b::env);
                return b.start();
            }
            try {
                FirefoxBrowser firefox = new FirefoxBrowser(env, language, loopbackNames);
                firefox.installExtension(ChromiumBrowser.extensionDir());
                return firefox;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    Kind kind();

    /** Selenium's driver of this browser: {@code get}, {@code executeScript}, {@code findElement}, screenshots. */
    RemoteWebDriver driver();

    /** The URL of a page of the extension, e.g. {@code popup/popup.html}. */
    default String extensionPage(String path) {
        return switch (kind()) {
            case CHROMIUM -> "chrome-extension://" + ExtensionIds.CHROME + "/" + path;
            case FIREFOX -> "moz-extension://" + FirefoxBrowser.EXTENSION_UUID + "/" + path;
        };
    }

    /** Saves what the browser shows as {@code target/screenshots/<name>-<browser>.png}. */
    default Path screenshot(String name) {
        try {
            Files.createDirectories(XDoTool.SCREENSHOTS);
            Path file = XDoTool.SCREENSHOTS.resolve(name + "-" + kind().id() + ".png");
            Files.write(file, driver().getScreenshotAs(OutputType.BYTES));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    void close();
}
