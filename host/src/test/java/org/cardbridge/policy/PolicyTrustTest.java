package org.cardbridge.policy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The policy in force decides which sites may sign and which PKCS#11 modules every user's host loads: a
 * file another user could have written is ignored. POSIX here; the Windows rule (owner must be a group,
 * such as Administrators) cannot be exercised on Linux.
 */
class PolicyTrustTest {
    @TempDir
    Path tmp;

    int me() throws IOException {
        return (Integer) Files.getAttribute(tmp, "unix:uid");
    }

    Path policy(String perms) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("etc"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path p = dir.resolve("policy.json");
        Files.writeString(p, "{\"origins\": [{\"origin\": \"https://ca.example\", \"allow\": [\"sign\"]}]}");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
        return p;
    }

    @Test
    void aFileOnlyItsOwnerCanWrite_isTrusted_andAMissingOneIsTheEmptyPolicy() throws IOException {
        assertNull(PolicyLoader.whyUntrusted(policy("rw-r--r--"), me()));
        assertNull(PolicyLoader.whyUntrusted(tmp.resolve("absent.json"), me()));
    }

    @Test
    void aFileOrFolderOthersCanWrite_isIgnored() throws IOException {
        Path p = policy("rw-rw-rw-");
        String why = PolicyLoader.whyUntrusted(p, me());
        assertNotNull(why);
        assertTrue(why.contains("can be changed by other users") && why.contains("666"), why);

        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-r--r--"));
        Files.setPosixFilePermissions(p.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));
        assertTrue(PolicyLoader.whyUntrusted(p, me()).startsWith(p.getParent().toString()), "a folder others may write lets them replace the file");
    }

    @Test
    void aFileOfAnotherUser_isIgnored() throws Exception {
        Path p = policy("rw-r--r--");
        // Giving a file away needs root (CI runs as root; elsewhere this case is skipped).
        assumeTrue(me() == 0, "only root can give a file to another user");
        Files.setAttribute(p, "unix:uid", 65534);
        String why = PolicyLoader.whyUntrusted(p, 0);
        assertNotNull(why);
        assertTrue(why.contains("belongs to user id 65534"), why);
        // The same file is trusted when that user owns this installation of the host (a per-user copy).
        assertNull(PolicyLoader.whyUntrusted(p, 65534));
    }

}
