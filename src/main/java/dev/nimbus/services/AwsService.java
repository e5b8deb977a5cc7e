package dev.nimbus.services;

/**
 * One AWS service: names its model and registers the operations it implements. The registrations
 * are the single source of truth for routing and for `nimbus coverage`.
 */
public interface AwsService {
    /** The model this service serves (sts, iam, s3, ...): a file under resources/models. */
    String modelName();

    void register(Operations ops);
}
