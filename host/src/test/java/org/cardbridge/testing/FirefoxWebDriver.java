package org.cardbridge.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.openqa.selenium.ImmutableCapabilities;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.remote.Command;
import org.openqa.selenium.remote.CommandExecutor;
import org.openqa.selenium.remote.DriverCommand;
import org.openqa.selenium.remote.RemoteWebDriver;
import org.openqa.selenium.remote.Response;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Selenium's {@link RemoteWebDriver} over {@link FirefoxBrowser}'s Marionette connection, so a browser test
 * drives Debian's firefox-esr with the same calls it drives Chromium with ({@code get}, {@code executeScript},
 * {@code findElement(...).click()}, {@code getScreenshotAs}). Debian has no geckodriver package; Marionette
 * speaks the W3C WebDriver commands itself under a {@code WebDriver:} prefix, so each of Selenium's commands
 * the tests use maps to one Marionette command with the same parameters. Anything else is refused loudly.
 */
final class FirefoxWebDriver extends RemoteWebDriver {
    FirefoxWebDriver(FirefoxBrowser firefox, String sessionId, JsonNode capabilities) {
        super(new Executor(firefox, sessionId, capabilities), new ImmutableCapabilities());
    }

    private record Executor(FirefoxBrowser firefox, String sessionId, JsonNode capabilities) implements CommandExecutor {
        private static final ObjectMapper JSON = new ObjectMapper();
        private static final Map<String, String> MARIONETTE = Map.ofEntries(
                Map.entry(DriverCommand.GET, "WebDriver:Navigate"),
                Map.entry(DriverCommand.REFRESH, "WebDriver:Refresh"),
                Map.entry(DriverCommand.GET_CURRENT_URL, "WebDriver:GetCurrentURL"),
                Map.entry(DriverCommand.GET_TITLE, "WebDriver:GetTitle"),
                Map.entry(DriverCommand.GET_PAGE_SOURCE, "WebDriver:GetPageSource"),
                Map.entry(DriverCommand.EXECUTE_SCRIPT, "WebDriver:ExecuteScript"),
                Map.entry(DriverCommand.EXECUTE_ASYNC_SCRIPT, "WebDriver:ExecuteAsyncScript"),
                Map.entry(DriverCommand.FIND_ELEMENT, "WebDriver:FindElement"),
                Map.entry(DriverCommand.FIND_ELEMENTS, "WebDriver:FindElements"),
                Map.entry(DriverCommand.CLICK_ELEMENT, "WebDriver:ElementClick"),
                Map.entry(DriverCommand.CLEAR_ELEMENT, "WebDriver:ElementClear"),
                Map.entry(DriverCommand.SEND_KEYS_TO_ELEMENT, "WebDriver:ElementSendKeys"),
                Map.entry(DriverCommand.GET_ELEMENT_TEXT, "WebDriver:GetElementText"),
                Map.entry(DriverCommand.GET_ELEMENT_TAG_NAME, "WebDriver:GetElementTagName"),
                Map.entry(DriverCommand.GET_ELEMENT_DOM_ATTRIBUTE, "WebDriver:GetElementAttribute"),
                Map.entry(DriverCommand.IS_ELEMENT_DISPLAYED, "WebDriver:IsElementDisplayed"),
                Map.entry(DriverCommand.IS_ELEMENT_ENABLED, "WebDriver:IsElementEnabled"),
                Map.entry(DriverCommand.IS_ELEMENT_SELECTED, "WebDriver:IsElementSelected"),
                Map.entry(DriverCommand.SCREENSHOT, "WebDriver:TakeScreenshot"),
                Map.entry(DriverCommand.SET_TIMEOUT, "WebDriver:SetTimeouts"));

        @Override
        public Response execute(Command command) throws IOException {
            Response response = new Response();
            response.setSessionId(sessionId);
            response.setStatus(0);
            response.setState("success");
            String name = command.getName();
            switch (name) {
                // The session FirefoxBrowser opened; quitting is FirefoxBrowser.close().
                case DriverCommand.NEW_SESSION -> response.setValue(JSON.convertValue(capabilities, Map.class));
                case DriverCommand.QUIT -> response.setValue(null);
                case DriverCommand.GET -> {
                    firefox.navigate(String.valueOf(command.getParameters().get("url")));
                    response.setValue(null);
                }
                default -> {
                    String marionette = MARIONETTE.get(name);
                    if (marionette == null) {
                        throw new WebDriverException("the Firefox test driver does not map Selenium's " + name + " to Marionette");
                    }
                    Map<String, Object> params = new HashMap<>(command.getParameters());
                    if (name.equals(DriverCommand.SCREENSHOT)) {
                        params.put("full", false); // the viewport, as Chromium's screenshot
                        params.put("hash", false);
                    }
                    if (name.equals(DriverCommand.SEND_KEYS_TO_ELEMENT) && !params.containsKey("text")) {
                        params.put("text", String.join("", JSON.convertValue(params.get("value"), String[].class)));
                    }
                    JsonNode answer;
                    try {
                        answer = firefox.command(marionette, params);
                    } catch (IOException e) {
                        throw new WebDriverException(e.getMessage(), e);
                    }
                    response.setValue(JSON.convertValue(answer == null ? null : answer.get("value"), Object.class));
                }
            }
            return response;
        }
    }
}
