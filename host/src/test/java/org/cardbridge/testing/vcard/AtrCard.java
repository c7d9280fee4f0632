package org.cardbridge.testing.vcard;

import java.util.HexFormat;

/** A card that only has an ATR and answers every command "instruction not supported" (6D00). */
public record AtrCard(byte[] atr) implements CardBehaviour {
    public static AtrCard of(String hex) {
        return new AtrCard(HexFormat.of().parseHex(hex.replace(":", "").replace(" ", "")));
    }

    @Override
    public void reset() {
    }

    @Override
    public byte[] transmit(byte[] command) {
        return new byte[] {0x6D, 0x00};
    }
}
