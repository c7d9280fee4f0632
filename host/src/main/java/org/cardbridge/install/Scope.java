package org.cardbridge.install;

/** Per user (no root needed; HKCU on Windows) or for every user of the machine (the package; HKLM). */
public enum Scope {
    USER, SYSTEM
}
