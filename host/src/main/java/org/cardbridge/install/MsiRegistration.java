package org.cardbridge.install;

import org.cardbridge.install.BrowserCatalog.Family;
import org.cardbridge.policy.Policy;
import org.cardbridge.policy.PolicyLoader;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Build-time generator of the Windows MSI's browser registration, from {@code browsers.json}.
 *
 * <p>jpackage builds the MSI from its own WiX project, whose {@code main.wxs} can be replaced through
 * {@code --resource-dir}. This class takes the {@code main.wxs} of the JDK that runs it (so the rest of the
 * project stays jpackage's own, whatever its version), adds one {@code ComponentGroupRef} to the
 * {@code DefaultFeature} and appends a {@code Fragment} with, per manifest family, one component: the
 * manifest file, installed next to the launcher, and one registry value for every key in
 * {@link BrowserCatalog#windowsHostKeys()} that names that file. Windows Installer then owns the
 * registration like any other installed file or key: it is written with the files, rolled back with them,
 * repaired, and removed on uninstall; no code of ours runs during installation.
 *
 * <ul>
 *   <li>The manifests' {@code path} is the launcher's bare file name: Chrome and Firefox resolve a relative
 *       {@code path} against the manifest's folder on Windows, so the files are right wherever the MSI is
 *       installed ({@code INSTALLDIR} is only known then). No {@code ..}: Firefox does not resolve it.</li>
 *   <li>Keys go under {@code HKMU}: {@code HKLM} for a per-machine installation (jpackage's default),
 *       {@code HKCU} for {@code --win-per-user-install}, matching install --system / --user.</li>
 *   <li>The source is in the WiX v3 schema; with WiX v4/v5 jpackage converts it (and its main.wxs) itself.
 *       jpackage builds 64-bit packages ({@code -arch x64}), so components and keys are 64-bit.</li>
 * </ul>
 *
 * <pre>java -cp 'host/target/lib/*' org.cardbridge.install.MsiRegistration --out DIR --launcher CardBridge.exe
 *      [--policy FILE] [--main-wxs FILE]
 * java -cp 'host/target/lib/*' org.cardbridge.install.MsiRegistration --list-keys</pre>
 * writes {@code DIR/main.wxs} (pass {@code --resource-dir DIR} to jpackage) and the two manifests beside it;
 * {@code --list-keys} prints the registry keys (without hive), one a line, for the release smoke test.
 */
public final class MsiRegistration {
    /** The component group the patched main.wxs adds to jpackage's DefaultFeature. */
    public static final String COMPONENT_GROUP = "CardBridgeRegistration";
    /** jpackage's main.wxs in a JDK's module image (the Windows JDK's; Linux and macOS JDKs lack it). */
    static final String JDK_MAIN_WXS = "/modules/jdk.jpackage/jdk/jpackage/internal/resources/main.wxs";
    /** jpackage's id of the folder the application is installed in. */
    static final String INSTALL_DIR = "INSTALLDIR";

    private final BrowserCatalog catalog;
    private final Manifests manifests;

    public MsiRegistration(BrowserCatalog catalog) {
        this.catalog = catalog;
        this.manifests = new Manifests(catalog);
    }

    /** The manifest's file name in the installation folder: one folder holds both, so the family is in the name. */
    public String manifestFileName(Family family) {
        return catalog.hostName() + "." + family.name().toLowerCase(Locale.ROOT) + ".json";
    }

    /** WiX id of a family's component, and with "File" appended, of its manifest file. */
    static String componentId(Family family) {
        String f = family.name().charAt(0) + family.name().substring(1).toLowerCase(Locale.ROOT);
        return "cardbridge" + f + "Manifest";
    }

    /**
     * Writes the two manifests (naming {@code launcher} relative to themselves) and the patched main.wxs
     * into {@code out}. Returns the main.wxs written.
     */
    public Path write(Path out, String launcher, Policy policy, Document jdkMainWxs) throws IOException {
        Files.createDirectories(out);
        Map<Family, Path> sources = new LinkedHashMap<>();
        for (Family f : Family.values()) {
            Path file = out.resolve(manifestFileName(f)).toAbsolutePath();
            Files.write(file, manifests.bytes(f, launcher, policy));
            sources.put(f, file);
        }
        Path mainWxs = out.resolve("main.wxs");
        Files.writeString(mainWxs, toXml(patch(jdkMainWxs, sources)));
        return mainWxs;
    }

    /**
     * Adds the registration to jpackage's main.wxs (changed in place and returned): a reference from the
     * DefaultFeature and, after everything else, the Fragment with the components.
     *
     * @param sources the manifest file to install for each family (its path on the build machine)
     * @throws IllegalStateException if that main.wxs has no {@code Feature Id="DefaultFeature"} (a jpackage
     *                               whose WiX project differs from the one this was written for)
     */
    public Document patch(Document mainWxs, Map<Family, Path> sources) {
        Element root = mainWxs.getDocumentElement();
        String ns = root.getNamespaceURI();
        Element feature = null;
        NodeList features = mainWxs.getElementsByTagNameNS(ns, "Feature");
        for (int i = 0; i < features.getLength(); i++) {
            Element e = (Element) features.item(i);
            if ("DefaultFeature".equals(e.getAttribute("Id"))) {
                feature = e;
            }
        }
        if (feature == null) {
            throw new IllegalStateException("jpackage's main.wxs has no <Feature Id=\"DefaultFeature\">: "
                    + "this JDK's WiX project differs from the one MsiRegistration patches");
        }
        Element ref = mainWxs.createElementNS(ns, "ComponentGroupRef");
        ref.setAttribute("Id", COMPONENT_GROUP);
        feature.appendChild(ref);
        root.appendChild(mainWxs.createComment(" CardBridge: browser registration generated from browsers.json by "
                + MsiRegistration.class.getName() + " "));
        root.appendChild(fragment(mainWxs, ns, sources));
        return mainWxs;
    }

    private Element fragment(Document doc, String ns, Map<Family, Path> sources) {
        Map<Family, List<String>> keysByFamily = new LinkedHashMap<>();
        for (Family f : Family.values()) {
            keysByFamily.put(f, new ArrayList<>());
        }
        catalog.windowsHostKeys().forEach((key, family) -> keysByFamily.get(family).add(key));

        Element fragment = doc.createElementNS(ns, "Fragment");
        Element dir = child(doc, fragment, ns, "DirectoryRef", "Id", INSTALL_DIR);
        Element group = doc.createElementNS(ns, "ComponentGroup");
        group.setAttribute("Id", COMPONENT_GROUP);
        for (Family f : Family.values()) {
            List<String> keys = keysByFamily.get(f);
            if (keys.isEmpty()) {
                continue;
            }
            String id = componentId(f);
            Element component = child(doc, dir, ns, "Component", "Id", id);
            component.setAttribute("Guid", guid(id, keys));
            Element file = child(doc, component, ns, "File", "Id", id + "File");
            file.setAttribute("Name", manifestFileName(f));
            file.setAttribute("Source", sources.get(f).toString());
            file.setAttribute("KeyPath", "yes");
            for (String key : keys) {
                Element k = child(doc, component, ns, "RegistryKey", "Root", "HKMU");
                k.setAttribute("Key", key);
                // Only our own key (…\NativeMessagingHosts\org.cardbridge.host) goes on uninstall.
                k.setAttribute("ForceDeleteOnUninstall", "yes");
                Element v = child(doc, k, ns, "RegistryValue", "Type", "string");
                v.setAttribute("Value", "[#" + id + "File]");
            }
            child(doc, group, ns, "ComponentRef", "Id", id);
        }
        fragment.appendChild(group);
        return fragment;
    }

    /**
     * A component's GUID must stay the same while its content does and change when it changes: derived from
     * the id and the keys it writes, so a browsers.json change gives a new component.
     */
    static String guid(String componentId, List<String> keys) {
        String seed = "cardbridge/msi/" + componentId + "/" + String.join("|", keys);
        return "{" + UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString().toUpperCase(Locale.ROOT) + "}";
    }

    private static Element child(Document doc, Element parent, String ns, String name, String attr, String value) {
        Element e = doc.createElementNS(ns, name);
        e.setAttribute(attr, value);
        parent.appendChild(e);
        return e;
    }

    static Document parse(InputStream in) throws IOException {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return f.newDocumentBuilder().parse(in);
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException("main.wxs is not well-formed XML: " + e.getMessage(), e);
        }
    }

    static String toXml(Document doc) {
        try {
            doc.setXmlStandalone(true);
            var t = TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            t.setOutputProperty(OutputKeys.INDENT, "no");
            var out = new java.io.StringWriter();
            t.transform(new DOMSource(doc), new StreamResult(out));
            return out.toString();
        } catch (TransformerException e) {
            throw new IllegalStateException(e);
        }
    }

    /** jpackage's main.wxs from the running JDK's module image. */
    static Document jdkMainWxs() throws IOException {
        var jrt = FileSystems.getFileSystem(URI.create("jrt:/"));
        Path p = jrt.getPath(JDK_MAIN_WXS);
        if (!Files.exists(p)) {
            throw new IOException("this JDK has no " + JDK_MAIN_WXS + " (jpackage's WiX project is in Windows JDKs only): "
                    + "run on the Windows JDK that runs jpackage, or pass --main-wxs");
        }
        try (InputStream in = Files.newInputStream(p)) {
            return parse(in);
        }
    }

    public static void main(String[] args) throws IOException {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        Path dir = null;
        Path policyFile = null;
        Path mainWxs = null;
        String launcher = null;
        boolean listKeys = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--list-keys")) {
                listKeys = true;
                continue;
            }
            if (i + 1 >= args.length) {
                err.println("MsiRegistration: " + a + " needs a value");
                return 2;
            }
            String v = args[++i];
            switch (a) {
                case "--out" -> dir = Path.of(v);
                case "--launcher" -> launcher = v;
                case "--policy" -> policyFile = Path.of(v);
                case "--main-wxs" -> mainWxs = Path.of(v);
                default -> {
                    err.println("MsiRegistration: unknown argument " + a);
                    return 2;
                }
            }
        }
        BrowserCatalog catalog = BrowserCatalog.load();
        if (listKeys) {
            catalog.windowsHostKeys().keySet().forEach(out::println);
            return 0;
        }
        if (dir == null || launcher == null || launcher.contains("\\") || launcher.contains("/")) {
            err.println("MsiRegistration: --out DIR --launcher NAME.exe (the launcher's file name, beside the manifests) "
                    + "[--policy FILE] [--main-wxs FILE] | --list-keys");
            return 2;
        }
        Policy policy = Policy.empty();
        if (policyFile != null) {
            var loaded = PolicyLoader.load(policyFile);
            if (loaded.problem() != null) {
                err.println("MsiRegistration: " + policyFile + ": " + loaded.problem());
                return 1;
            }
            policy = loaded.policy();
        }
        Document jdkMain;
        if (mainWxs != null) {
            try (InputStream in = Files.newInputStream(mainWxs)) {
                jdkMain = parse(in);
            }
        } else {
            jdkMain = jdkMainWxs();
        }
        Path written = new MsiRegistration(catalog).write(dir, launcher, policy, jdkMain);
        out.println(written);
        return 0;
    }
}
