package org.cardbridge.install;

import org.cardbridge.platform.Os;
import org.cardbridge.policy.Policy;
import org.cardbridge.policy.PolicyLoader;
import org.cardbridge.protocol.Lang;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * doctor for Firefox as a Snap (Ubuntu's WebExtensions portal) and as a Flatpak (xdg-native-messaging-proxy)
 * on a fake machine: what the person is told to allow, and what is checked of it.
 */
class SandboxedFirefoxTest {
    @TempDir
    Path tmp;
    Path home;
    Path sys;
    Roots roots;

    @BeforeEach
    void machine() throws IOException {
        home = Files.createDirectories(tmp.resolve("home"));
        sys = Files.createDirectories(tmp.resolve("sys"));
        roots = Roots.of(home, sys);
    }

    /** What Ubuntu's xdg-desktop-portal package installs beside the portal (its data/meson.build). */
    static void ubuntusPortal(Path sys) throws IOException {
        Path xml = sys.resolve("usr/share/dbus-1/interfaces/org.freedesktop.portal.WebExtensions.xml");
        Files.createDirectories(xml.getParent());
        Files.writeString(xml, "<node/>\n");
    }

    void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    /** The user manager's environment the portal and the proxy run in (systemctl --user show-environment). */
    Optional<Map<String, String>> services = Optional.of(Map.of("HOME", "/home/ola", "DISPLAY", ":0", "LANG", "pl_PL.UTF-8"));

    SandboxedFirefox doctor(Lang lang, Optional<String> storedAnswer) {
        return new SandboxedFirefox(roots, new DoctorTexts(lang), "org.cardbridge.host",
                (table, id, app) -> table.equals("webextensions") && id.equals("org.cardbridge.host") && app.equals("snap.firefox")
                        ? storedAnswer : Optional.empty(), () -> services);
    }

    static List<String> codes(List<Finding> findings) {
        return findings.stream().map(Finding::code).toList();
    }

    @Test
    void snapOnUbuntu_allowedOnce_isOk() throws IOException {
        ubuntusPortal(sys);
        List<Finding> f = doctor(Lang.EN, Optional.of("yes")).snap("firefox", "Mozilla Firefox", "firefox");
        assertEquals(List.of("doctor.sandbox.allowed"), codes(f));
        assertEquals("Mozilla Firefox (snap.firefox) is allowed to start CardBridge (org.cardbridge.host): you chose Allow when it asked",
                f.getFirst().message());
    }

    @Test
    void snap_notAskedYet_saysNothingMore() throws IOException {
        ubuntusPortal(sys);
        assertEquals(List.of(), doctor(Lang.EN, Optional.empty()).snap("firefox", "Mozilla Firefox", "firefox"));
    }

    @Test
    void snap_deniedOnce_isAFailureWithTheCommandThatAllowsIt() throws IOException {
        ubuntusPortal(sys);
        Finding f = doctor(Lang.EN, Optional.of("no")).snap("firefox", "Mozilla Firefox", "firefox").getFirst();
        assertEquals(Finding.Status.FAIL, f.status());
        assertEquals("doctor.sandbox.denied", f.code());
        assertTrue(f.message().contains("\"Allow Mozilla Firefox to start WebExtension backend?\"") && f.message().contains("\"Don't allow\""), f.message());
        assertTrue(f.fix().contains("PermissionStore.SetPermission webextensions true org.cardbridge.host snap.firefox \"['yes']\""), f.fix());
        Finding pl = doctor(Lang.PL, Optional.of("no")).snap("firefox", "Mozilla Firefox", "firefox").getFirst();
        assertTrue(pl.message().contains("wybrano odmowę"), pl.message());
        assertTrue(pl.fix().startsWith("zezwól ponownie"), pl.fix());
    }

    @Test
    void snap_withoutAnyPortal_cannotWork() {
        Finding f = doctor(Lang.EN, Optional.empty()).snap("firefox", "Mozilla Firefox", "firefox").getFirst();
        assertEquals("doctor.sandbox.noPortal", f.code());
        assertEquals(Finding.Status.FAIL, f.status());
        assertTrue(f.fix().startsWith("on Ubuntu: sudo apt install xdg-desktop-portal"), f.fix());
    }

    @Test
    void snap_withThePortalSwitchedOffInAProfile_namesThePreference() throws IOException {
        ubuntusPortal(sys);
        Path profile = home.resolve("snap/firefox/common/.mozilla/firefox/abcd.default");
        write(profile.resolve("prefs.js"), "user_pref(\"browser.startup.page\", 3);\nuser_pref(\"widget.use-xdg-desktop-portal.native-messaging\", 0);\n");
        write(home.resolve("snap/firefox/common/.mozilla/firefox/efgh.work/prefs.js"), "user_pref(\"widget.use-xdg-desktop-portal.native-messaging\", 2);\n");
        List<Finding> f = doctor(Lang.EN, Optional.empty()).snap("firefox", "Mozilla Firefox", "firefox");
        assertEquals(List.of("doctor.sandbox.prefOff"), codes(f));
        assertTrue(f.getFirst().message().contains(profile.toString()), f.getFirst().message());
        assertEquals("in Mozilla Firefox open about:config, find widget.use-xdg-desktop-portal.native-messaging, click the reset arrow "
                + "(the default is 2), and restart Mozilla Firefox", f.getFirst().fix());
    }

    @Test
    void flatpak_withProxyPermissionAndPreference_isOnlyTheNote() throws IOException {
        write(sys.resolve("usr/share/dbus-1/services/org.freedesktop.NativeMessagingProxy.service"), "[D-BUS Service]\n");
        write(home.resolve(".local/share/flatpak/overrides/org.mozilla.firefox"),
                "[Context]\nshared=network;\n\n[Session Bus Policy]\norg.freedesktop.NativeMessagingProxy=talk\n");
        write(sys.resolve("var/lib/flatpak/app/org.mozilla.firefox/current/active/files/lib/firefox/application.ini"),
                "[App]\nVendor=Mozilla\nName=Firefox\nVersion=157.0.1\n");
        write(home.resolve(".var/app/org.mozilla.firefox/.mozilla/firefox/x.default/prefs.js"),
                "user_pref(\"widget.use-xdg-desktop-portal.native-messaging-proxy\", 1);\n");
        assertEquals(List.of("doctor.flatpak.proxy"), codes(doctor(Lang.EN, Optional.empty()).flatpak("firefox", "Mozilla Firefox", "org.mozilla.firefox")));
    }

    @Test
    void flatpak_missingEverything_saysEachThingToDo() throws IOException {
        write(sys.resolve("var/lib/flatpak/app/org.mozilla.firefox/current/active/files/lib/firefox/application.ini"), "[App]\nVersion=156.0\n");
        // The user revoked what the system granted: the user's override wins.
        write(sys.resolve("var/lib/flatpak/overrides/org.mozilla.firefox"), "[Session Bus Policy]\norg.freedesktop.NativeMessagingProxy=talk\n");
        write(home.resolve(".local/share/flatpak/overrides/org.mozilla.firefox"), "[Session Bus Policy]\norg.freedesktop.NativeMessagingProxy=none\n");
        write(home.resolve(".var/app/org.mozilla.firefox/config/mozilla/firefox/y.default/prefs.js"), "user_pref(\"browser.startup.page\", 3);\n");
        List<Finding> f = doctor(Lang.EN, Optional.empty()).flatpak("firefox", "Mozilla Firefox", "org.mozilla.firefox");
        assertEquals(List.of("doctor.flatpak.proxy", "doctor.flatpak.noProxy", "doctor.flatpak.noTalk", "doctor.flatpak.old", "doctor.flatpak.prefOff"), codes(f));
        assertEquals("run: flatpak override --user --talk-name=org.freedesktop.NativeMessagingProxy org.mozilla.firefox   then restart Mozilla Firefox",
                f.get(2).fix());
        assertEquals("the Flatpak Mozilla Firefox (org.mozilla.firefox) is version 156; starting CardBridge from a Flatpak needs 157 or newer", f.get(3).message());
        assertEquals("in Mozilla Firefox open about:config, set widget.use-xdg-desktop-portal.native-messaging-proxy to 1, and restart Mozilla Firefox",
                f.get(4).fix());
        List<Finding> pl = doctor(Lang.PL, Optional.empty()).flatpak("firefox", "Mozilla Firefox", "org.mozilla.firefox");
        assertEquals("uruchom: flatpak override --user --talk-name=org.freedesktop.NativeMessagingProxy org.mozilla.firefox   potem uruchom Mozilla Firefox ponownie",
                pl.get(2).fix());
    }

    @Test
    void wholeDoctor_flatpakFirefoxOnly_checksTheManifestTheProxyReads_andSaysWhatToAllow() throws Exception {
        // A machine whose only Firefox is the Flatpak; the host registered for the user, where the proxy looks.
        Files.createDirectories(home.resolve(".local/share/flatpak/app/org.mozilla.firefox"));
        Path host = tmp.resolve("host");
        Files.writeString(host, "#!/bin/sh\nexit 0\n");
        host.toFile().setExecutable(true);
        BrowserCatalog catalog = BrowserCatalog.load();
        new Installer(catalog, roots, Os.LINUX, null).install(Scope.USER, host.toString(), Policy.empty());
        Doctor doctor = new Doctor(catalog, roots, Os.LINUX, null,
                new HostProbe(Duration.ofSeconds(2), Os.LINUX, Map.of("CARDBRIDGE_STATE_DIR", tmp.resolve("state").toString())),
                new DoctorTexts(Lang.EN), new PolicyLoader.Loaded(tmp.resolve("policy.json"), Policy.empty(), null));
        List<String> firefox = codes(doctor.browsers().stream().filter(f -> f.subject().equals("firefox")).toList());
        assertEquals(List.of("doctor.flatpak.proxy", "doctor.flatpak.noProxy", "doctor.flatpak.noTalk", "doctor.manifestOk"),
                firefox.subList(0, 4), firefox::toString);
    }

    @Test
    void servicesWithoutADisplay_wouldStartAHostThatCannotShowItsWindow() throws IOException {
        ubuntusPortal(sys);
        services = Optional.of(SandboxedFirefox.environmentIn("HOME=/home/ola\nWAYLAND_DISPLAY=wayland-0\nLANG=pl_PL.UTF-8\n"));
        List<Finding> f = doctor(Lang.EN, Optional.of("yes")).snap("firefox", "Mozilla Firefox", "firefox");
        assertEquals(List.of("doctor.sandbox.allowed", "doctor.sandbox.noDisplay"), codes(f));
        assertEquals("run: systemctl --user import-environment DISPLAY XAUTHORITY   (to make it last, add that line to your session's "
                + "startup programs), then restart Mozilla Firefox", f.get(1).fix());
        assertEquals("doctor.sandbox.noDisplay", codes(doctor(Lang.EN, Optional.empty()).flatpak("firefox", "Mozilla Firefox", "org.mozilla.firefox")).getLast());
        Finding pl = doctor(Lang.PL, Optional.empty()).snap("firefox", "Mozilla Firefox", "firefox").getLast();
        assertTrue(pl.message().contains("nie mógłby pokazać okna potwierdzenia i PIN-u"), pl.message());
        // Unknown (no systemd user manager): nothing is said.
        services = Optional.empty();
        assertEquals(List.of(), doctor(Lang.EN, Optional.empty()).snap("firefox", "Mozilla Firefox", "firefox"));
    }

    @Test
    void gdbusAnswerIsRead() {
        String out = "({'snap.firefox': ['no'], 'snap.chromium': ['yes']}, <byte 0x00>)\n";
        assertEquals(Optional.of("no"), SandboxedFirefox.permissionIn(out, "snap.firefox"));
        assertEquals(Optional.of("yes"), SandboxedFirefox.permissionIn(out, "snap.chromium"));
        assertEquals(Optional.empty(), SandboxedFirefox.permissionIn(out, "snap.firefox-esr"));
    }
}
