package dev.nimbus.services.iam;

import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;

/**
 * AWS Identity and Access Management: roles, users, groups, access keys and their policies. A
 * global service (no region in its ARNs), partitioned by account. Policies are stored and
 * returned; enforcing them is not IAM's job here.
 */
public final class IamService implements AwsService {
    private final Iam iam;

    public IamService(Iam iam) {
        this.iam = iam;
    }

    @Override
    public String modelName() {
        return "iam";
    }

    @Override
    public void register(Operations ops) {
        new Roles(iam).register(ops);
        new Users(iam).register(ops);
        new Groups(iam).register(ops);
        new EntityPolicies(iam).register(ops);
        new ManagedPolicies(iam).register(ops);
    }
}
