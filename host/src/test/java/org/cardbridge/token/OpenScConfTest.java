package org.cardbridge.token;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpenScConfTest {
    @Test
    void debiansShippedFile_setsNothing_none() {
        assertEquals("none", OpenScConf.unblockStyle("""
                app default {
                \t# debug = 3;
                \tframework pkcs15 {
                \t\t# use_file_caching = public;
                \t}
                }
                """));
    }

    @Test
    void theSettingInOpenScsOwnLayout_isRead_commentedOutIsNot_lastWins() {
        assertEquals("set_pin_in_unlogged_session", OpenScConf.unblockStyle("""
                app opensc-pkcs11 {
                    pkcs11 {
                        user_pin_unblock_style = set_pin_in_unlogged_session;
                    }
                }
                """));
        assertEquals("none", OpenScConf.unblockStyle("pkcs11 {\n  # user_pin_unblock_style = init_pin_in_so_session;\n}\n"));
        assertEquals("init_pin_in_so_session", OpenScConf.unblockStyle(
                "user_pin_unblock_style = set_pin_in_unlogged_session;\nuser_pin_unblock_style=init_pin_in_so_session; # later\n"));
    }

    @Test
    void onlyOpenScsModuleIsOpenSc() {
        assertTrue(OpenScConf.isOpenSc("/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so"));
        assertFalse(OpenScConf.isOpenSc("/usr/lib/softhsm/libsofthsm2.so"));
    }
}
