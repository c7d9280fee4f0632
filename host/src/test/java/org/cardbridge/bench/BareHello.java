package org.cardbridge.bench;

/** The floor for start-up: a bare "hello world" JVM on the same runtime. */
public final class BareHello {
    private BareHello() {
    }

    public static void main(String[] args) {
        System.out.println("hello world");
    }
}
