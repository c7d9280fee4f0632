package org.cardbridge.install;

import org.cardbridge.install.Finding.Status;
import org.cardbridge.platform.Os;
import org.cardbridge.policy.PolicyLoader;

import javax.smartcardio.CardException;
import javax.smartcardio.CardTerminal;
import javax.smartcardio.TerminalFactory;
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
    /** Where OpenSC puts its PKCS#11 module on each OS (Debian multiarch, Fedora, macOS pkg, Windows msi). */
    static List<String> defaultModules(Os os) {
        return switch (os) {
            case LINUX -> List.of("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so", "/usr/lib/aarch64-linux-gnu/opensc-pkcs11.so",
                    "/usr/lib64/opensc-pkcs11.so", "/usr/lib/opensc-pkcs11.so");
            case MACOS -> List.of("/Library/OpenSC/lib/opensc-pkcs11.so");
            case WINDOWS -> List.of("%SystemRoot%\\System32\\opensc-pkcs11.dll");
        };
    }

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
        return List.of(texts.finding(Status.OK, "doctor.policyOk", p.toString(), null, p, loaded.policy().origins().size()));
    }

    /** Default OpenSC paths that exist, then every module the policy lists (those must exist). */
    public List<Finding> modules(List<String> policyModules, Path policyPath) {
        List<Finding> out = new ArrayList<>();
        Set<Path> toLoad = new LinkedHashSet<>();
        for (String d : defaultModules(os)) {
            Path p = roots.resolve(d);
            if (Files.exists(p)) {
                toLoad.add(p);
            }
        }
        for (String m : policyModules) {
            Path p = Path.of(m);
            if (Files.exists(p)) {
                toLoad.add(p);
            } else {
                out.add(texts.finding(Status.FAIL, "doctor.moduleMissing", m, "moduleMissing", m, policyPath));
            }
        }
        if (toLoad.isEmpty() && out.isEmpty()) {
            out.add(texts.finding(Status.FAIL, "doctor.noModule", "pkcs11", "noModule",
                    String.join(", ", defaultModules(os).stream().map(d -> roots.resolve(d).toString()).toList())));
        }
        for (Path p : toLoad) {
            out.add(load(p));
        }
        return out;
    }

    private Finding load(Path module) {
        try {
            // The wrapper SunPKCS11 itself uses (exported to us by the launcher); reflection because javac's
            // --release hides JDK-internal packages. getInstance loads and initialises the module.
            Class<?> wrapper = Class.forName("sun.security.pkcs11.wrapper.PKCS11");
            Class<?> initArgs = Class.forName("sun.security.pkcs11.wrapper.CK_C_INITIALIZE_ARGS");
            Object p11 = wrapper.getMethod("getInstance", String.class, String.class, initArgs, boolean.class)
                    .invoke(null, module.toString(), "C_GetFunctionList", null, false);
            Object info = wrapper.getMethod("C_GetInfo").invoke(p11);
            long[] slots = (long[]) wrapper.getMethod("C_GetSlotList", boolean.class).invoke(p11, true);
            String what = chars(info, "libraryDescription") + " / " + chars(info, "manufacturerID");
            return texts.finding(Status.OK, "doctor.moduleOk", module.toString(), null, module, what, slots.length);
        } catch (java.lang.reflect.InvocationTargetException e) {
            return texts.finding(Status.FAIL, "doctor.moduleLoad", module.toString(), "moduleLoad", module,
                    Doctor.firstLine(String.valueOf(e.getCause())));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return texts.finding(Status.FAIL, "doctor.moduleLoad", module.toString(), "moduleLoad", module,
                    Doctor.firstLine(String.valueOf(e)));
        }
    }

    private static String chars(Object info, String field) throws ReflectiveOperationException {
        return new String((char[]) info.getClass().getField(field).get(info)).strip();
    }

    /** pcscd reachable and its readers; no reader is a warning (it may just be unplugged). */
    public List<Finding> pcsc() {
        List<Finding> out = new ArrayList<>();
        if (os == Os.LINUX && System.getProperty("sun.security.smartcardio.library") == null) {
            // Java looks for the unversioned libpcsclite.so, which only the -dev package installs.
            for (String lib : List.of("/usr/lib/x86_64-linux-gnu/libpcsclite.so.1", "/usr/lib/aarch64-linux-gnu/libpcsclite.so.1",
                    "/usr/lib64/libpcsclite.so.1", "/usr/lib/libpcsclite.so.1")) {
                if (Files.exists(Path.of(lib))) {
                    System.setProperty("sun.security.smartcardio.library", lib);
                    break;
                }
            }
        }
        List<CardTerminal> readers;
        try {
            TerminalFactory f = TerminalFactory.getInstance("PC/SC", null);
            readers = f.terminals().list();
        } catch (CardException | java.security.NoSuchAlgorithmException | RuntimeException e) {
            String why = Doctor.firstLine(e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
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
        }
        return out;
    }
}
