package dev.nimbus.services;

import dev.nimbus.protocol.Identity;
import dev.nimbus.services.iam.CredentialRegistry;
import dev.nimbus.services.iam.Iam;
import dev.nimbus.services.iam.IamService;
import dev.nimbus.services.logs.LogsService;
import dev.nimbus.services.sts.StsService;
import dev.nimbus.store.Store;
import java.util.List;
import java.util.function.Function;

/** Every service Nimbus serves, wired to the store; the list here is what `nimbus coverage` counts. */
public final class ServiceSet {
    private final Operations operations = new Operations();
    private final Function<String, Identity> identities;
    private final LogsService logs;

    public ServiceSet(Store store) {
        this(store, List.of());
    }

    public ServiceSet(Store store, List<AwsService> extra) {
        CredentialRegistry credentials = new CredentialRegistry(store);
        Iam iam = new Iam(store, credentials);
        this.identities = credentials::identity;
        this.logs = new LogsService(store);
        logs.startRetentionSweep();
        for (AwsService s : List.<AwsService>of(new StsService(iam), new IamService(iam), logs)) operations.register(s);
        for (AwsService s : extra) operations.register(s);
    }

    public Operations operations() {
        return operations;
    }

    /** CloudWatch Logs, where other services (Lambda) write their logs. */
    public LogsService logs() {
        return logs;
    }

    /** Access key -> who it belongs to (IAM users' keys, STS sessions, else the key's account root). */
    public Function<String, Identity> identities() {
        return identities;
    }
}
