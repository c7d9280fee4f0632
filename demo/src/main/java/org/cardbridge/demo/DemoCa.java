package org.cardbridge.demo;

import java.nio.file.Path;
import java.time.Clock;

/** The composition root of the demo CA: its store, clock, keys and rules, opened from one state directory. */
public record DemoCa(DemoStore store, DemoClock clock, RenewalService renewals) {
    public static final String STATE_FILE = "demo-ca.json";

    /** Opens the CA kept in {@code stateDir}, creating a new root and issuing CA on the first run. */
    public static DemoCa open(Path stateDir, Clock base) {
        DemoStore store = DemoStore.open(stateDir.resolve(STATE_FILE));
        DemoClock clock = new DemoClock(base, store);
        DemoStore.CaMaterial m = store.update(s -> s.ca() != null ? new DemoStore.Change<>(s, s.ca())
                : withNewCa(s, CertificateAuthority.create(clock.now()).material()));
        return new DemoCa(store, clock, new RenewalService(CertificateAuthority.restore(m), store, clock));
    }

    private static DemoStore.Change<DemoStore.CaMaterial> withNewCa(DemoStore.State s, DemoStore.CaMaterial m) {
        return new DemoStore.Change<>(s.withCa(m), m);
    }
}
