/**
 * The user's real card path in tests: Debian's pcscd with vsmartcard's vpcd reader driver, a card
 * emulated in Java on the other end of vpcd's socket, and Debian's OpenSC driving it.
 *
 * <ul>
 *   <li>{@link org.cardbridge.testing.vcard.Pcscd} — a private pcscd (own socket, own reader.conf.d, vpcd
 *   on free ports, two readers "Virtual PCD 00 00" / "00 01"); PC/SC clients get {@code PCSCLITE_CSOCK_NAME}.
 *   Child processes get {@link org.cardbridge.testing.vcard.Pcscd#clientEnv()}; this JVM's own clients
 *   (javax.smartcardio, OpenSC loaded in-process) use the socket surefire and failsafe name per fork in
 *   host/pom.xml, which {@link org.cardbridge.testing.vcard.VirtualCards#inProcess()} starts a pcscd on.</li>
 *   <li>{@link org.cardbridge.testing.vcard.VpcdCard} — a card in a reader: insert, remove at any moment,
 *   {@link org.cardbridge.testing.vcard.Fault} to answer or pull at any chosen APDU.</li>
 *   <li>{@link org.cardbridge.testing.vcard.IsoAppletCard} — the IsoApplet as OpenSC 0.23 expects it
 *   (RSA-2048; PIN and PUK with 3 tries); {@link org.cardbridge.testing.vcard.AtrCard} — just an ATR.</li>
 *   <li>{@link org.cardbridge.testing.vcard.VirtualCards} — personalised cards for in-process OpenSC;
 *   {@link org.cardbridge.testing.TestToken#backends()} runs a test on SoftHSM2 and on such a card.</li>
 * </ul>
 *
 * <p>Limits of OpenSC 0.23's isoApplet driver, not of the card: it generates and signs with RSA-2048 only
 * here (the card reports no ECC), and it never asks the card for the PIN counter (the driver does not set
 * SC_CARD_CAP_ISO7816_PIN_INFO, so iso7816_pin_cmd refuses SC_PIN_CMD_GET_INFO). OpenSC learns the tries
 * left only from a failed VERIFY (63Cx) and never the maximum: C_GetTokenInfo says "final try" after the
 * second wrong PIN and "locked" after the third, never "count low", and a process that saw no wrong PIN
 * says nothing. The host adds "count low" after a refused PIN (TokenManager#pinState).
 */
package org.cardbridge.testing.vcard;
