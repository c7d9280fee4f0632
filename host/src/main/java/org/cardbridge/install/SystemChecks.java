package org.cardbridge.install;

import org.cardbridge.install.Finding.Status;
import org.cardbridge.platform.Os;
import org.cardbridge.policy.ExtensionIds;
import org.cardbridge.policy.PolicyLoader;

import org.cardbridge.token.AtrModuleMap;
import org.cardbridge.token.Pkcs11;
import org.cardbridge.token.TokenManager;
import org.cardbridge.token.WrapperPkcs11;
import org.cardbridge.watch.PcscAccess;
import org.cardbridge.watch.PcscCards;

import javax.smartcardio.CardException;
import javax.smartcardio.CardTerminal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code doctor}, machine part: the policy file, the PKCS#11 modules (found and loadable, tokens present),
 * pcscd and its readers. Reads only public information: module and reader names, never a PIN or a key.
 */
public final class SystemChecks {
    private final Roots roots;
    private final Os os;
    private final DoctorTexts texts;

    public SystemChecks(Roots roots, Os os, DoctorTexts texts) {
        this.roots = roots;
        this.os = os;
        this.texts = texts;
    }

    public List<Finding> policy(PolicyLoader.Loaded loaded) {
        Path p = loaded.path();
        if (loaded.problem() != null) {
            return List.of(texts.finding(Status.FAIL, "doctor.policyBad", p.toString(), "policy", p, loaded.problem()));
        }
        if (!Files.exists(p)) {
            return List.of(texts.finding(Status.INFO, "doctor.policyNone", p.toString(), null, p));
        }
        List<Finding> out = new ArrayList<>();
        out.add(texts.finding(Status.OK, "doctor.policyOk", p.toString(), null, p, loaded.policy().origins().size()));
        // The host accepts such an id, but no manifest can carry it (see Manifests) and no browser sends it.
        for (String id : loaded.policy().extraExtensionIds()) {
            if (!ExtensionIds.isChromeId(id) && !ExtensionIds.isFirefoxId(id)) {
                out.add(texts.finding(Status.WARN, "doctor.policyIdUnknown", p.toString(), "policyIdUnknown", p, id));
            }
        }
        return out;
    }

    /**
     * The modules the host would try, in its order (see {@link TokenManager#standard}): the policy's (which
     * must exist), OpenSC's default paths and installed vendor modules from the ATR map. Each found one is
     * loaded through the host's own wrapper and asked for its slots.
     */
    public List<Finding> modules(List<String> policyModules, Path policyPath) {
        List<Finding> out = new ArrayList<>();
        AtrModuleMap map = AtrModuleMap.load(os);
        Set<Path> toLoad = new LinkedHashSet<>();
        Set<Path> real = new LinkedHashSet<>();
        for (String m : policyModules) {
            Path p = Path.of(m);
            if (Files.isRegularFile(p)) {
                add(toLoad, real, p);
            } else {
                out.add(texts.finding(Status.FAIL, "doctor.moduleMissing", m, "moduleMissing", m, policyPath));
            }
        }
        List<String> defaults = map.defaultPaths();
        List<String> others = new ArrayList<>(defaults);
        others.addAll(map.vendorPaths());
        for (String d : others) {
            Path p = roots.resolve(d);
            if (Files.isRegularFile(p)) {
                add(toLoad, real, p);
            }
        }
        if (toLoad.isEmpty() && out.isEmpty()) {
            out.add(texts.finding(Status.FAIL, "doctor.noModule", "pkcs11", "noModule",
                    String.join(", ", defaults.stream().map(d -> roots.resolve(d).toString()).toList())));
        }
        for (Path p : toLoad) {
            out.add(load(p));
        }
        return out;
    }

    /** Debian links opensc-pkcs11.so twice; a module is loaded once whatever its name. */
    private static void add(Set<Path> toLoad, Set<Path> real, Path p) {
        try {
            if (real.add(p.toRealPath())) {
                toLoad.add(p);
            }
        } catch (java.io.IOException e) {
            toLoad.add(p);
        }
    }

    private Finding load(Path module) {
        try {
            Pkcs11 p11 = WrapperPkcs11.load(module.toString());
            java.util.Map<String, Integer> tokens = new java.util.TreeMap<>();
            for (long slot : p11.slots()) {
                if (p11.slotInfo(slot).tokenPresent()) {
                    // Manufacturer and model only: a label or serial can name the card's holder, and the
                    // report goes into support tickets.
                    Pkcs11.TokenInfo t = p11.tokenInfo(slot);
                    tokens.merge(t.manufacturer() + " " + t.model(), 1, Integer::sum);
                }
            }
            int count = tokens.values().stream().mapToInt(Integer::intValue).sum();
            List<String> kinds = tokens.entrySet().stream().map(e -> e.getValue() + " × " + e.getKey()).toList();
            return texts.finding(Status.OK, "doctor.moduleOk", module.toString(), null, module, count,
                    kinds.isEmpty() ? "-" : String.join(", ", kinds));
        } catch (java.io.IOException | RuntimeException | LinkageError e) {
            return texts.finding(Status.FAIL, "doctor.moduleLoad", module.toString(), "moduleLoad", module,
                    Doctor.firstLine(String.valueOf(e.getMessage())));
        }
    }

    /** {@link #pcsc(AtrModuleMap)} with the host's own ATR map. */
    public List<Finding> pcsc() {
        return pcsc(AtrModuleMap.load(os));
    }

    /**
     * pcscd reachable and its readers; no reader is a warning (it may just be unplugged). A card whose ATR
     * names a vendor module that is not installed is a failure naming the product, as the host's
     * MODULE_NOT_INSTALLED does.
     */
    public List<Finding> pcsc(AtrModuleMap map) {
        List<Finding> out = new ArrayList<>();
        List<CardTerminal> readers;
        try {
            readers = PcscAccess.open().list();
        } catch (CardException | RuntimeException e) {
            // The PC/SC error at the bottom (SCARD_E_NO_SERVICE, …) says why; the JDK's wrappers do not.
            String why = Doctor.firstLine(PcscAccess.describe(e));
            if (why.contains("SCARD_E_NO_READERS_AVAILABLE")) {
                out.add(texts.finding(Status.OK, "doctor.pcscOk", "pcscd", null, 0));
                out.add(texts.finding(Status.WARN, "doctor.noReader", "pcscd", "noReader"));
                return out;
            }
            out.add(texts.finding(Status.FAIL, "doctor.pcscDown", "pcscd", "pcscd", why));
            return out;
        }
        out.add(texts.finding(Status.OK, "doctor.pcscOk", "pcscd", null, readers.size()));
        if (readers.isEmpty()) {
            out.add(texts.finding(Status.WARN, "doctor.noReader", "pcscd", "noReader"));
        }
        for (CardTerminal t : readers) {
            boolean card;
            try {
                card = t.isCardPresent();
            } catch (CardException e) {
                card = false;
            }
            out.add(texts.finding(Status.INFO, card ? "doctor.readerCard" : "doctor.readerEmpty", t.getName(), null, t.getName()));
            if (card) {
                PcscCards.readAtr(t).ifPresent(atr -> out.addAll(cardModule(map, t.getName(), atr)));
            }
        }
        return out;
    }

    /** The line for a card whose ATR names a vendor module missing here; none when it is here or none is named. */
    public List<Finding> cardModule(AtrModuleMap map, String reader, byte[] atr) {
        return map.vendorFor(atr)
                .filter(e -> e.paths().stream().map(roots::resolve).noneMatch(Files::isRegularFile))
                .map(e -> List.of(texts.finding(Status.FAIL, "doctor.moduleNotInstalled", reader, "moduleNotInstalled",
                        reader, e.name(), e.product(), String.join(", ", e.paths()))))
                .orElse(List.of());
    }
}
