package dev.nimbus.services;

import dev.nimbus.protocol.Identity;
import dev.nimbus.services.sts.StsService;
import dev.nimbus.store.Store;
import java.util.List;
import java.util.function.Function;

/** Every service Nimbus serves, wired to the store; the list here is what `nimbus coverage` counts. */
public final class ServiceSet {
    private final Operations operations = new Operations();
    private final Function<String, Identity> identities;

    public ServiceSet(Store store) {
        this(store, List.of());
    }

    public ServiceSet(Store store, List<AwsService> extra) {
        this.identities = Identity::ofUnknownKey;
        for (AwsService s : List.<AwsService>of(new StsService())) operations.register(s);
        for (AwsService s : extra) operations.register(s);
    }

    public Operations operations() {
        return operations;
    }

    /** Access key -> who it belongs to. */
    public Function<String, Identity> identities() {
        return identities;
    }
}
