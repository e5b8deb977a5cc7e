package dev.nimbus.services;

import dev.nimbus.protocol.Identity;
import dev.nimbus.services.apigateway.ApiGateway;
import dev.nimbus.services.cloudwatch.CloudWatchService;
import dev.nimbus.services.cloudwatch.Metrics;
import dev.nimbus.services.dynamodb.DynamoDbService;
import dev.nimbus.services.dynamodb.Streams;
import dev.nimbus.services.iam.CredentialRegistry;
import dev.nimbus.services.iam.Iam;
import dev.nimbus.services.iam.IamService;
import dev.nimbus.services.lambda.LambdaService;
import dev.nimbus.services.logs.LogsService;
import dev.nimbus.services.sns.SnsService;
import dev.nimbus.services.s3.S3Service;
import dev.nimbus.services.sqs.SqsService;
import dev.nimbus.services.sts.StsService;
import dev.nimbus.store.Store;
import dev.nimbus.protocol.HttpRequest;
import dev.nimbus.protocol.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Supplier;

/** Every service Nimbus serves, wired to the store; the list here is what `nimbus coverage` counts. */
public final class ServiceSet implements AutoCloseable {
    private final Operations operations = new Operations();
    private final Targets targets = new Targets();
    private final List<FrontDoor> frontDoors = new CopyOnWriteArrayList<>();
    private final Function<String, Identity> identities;
    private final LogsService logs;
    private final LambdaService lambda;
    private final CloudWatchService cloudwatch;
    private final SnsService sns;
    private final S3Service s3;
    private final DynamoDbService dynamodb;
    private final SqsService sqs;
    private final ApiGateway apigateway;

    public ServiceSet(Store store) {
        this(store, List.of(), () -> "http://127.0.0.1:4566", null);
    }

    /**
     * @param endpoint the server's URL once it listens (functions reach Nimbus through it)
     * @param dataDir  the server's data dir, or null when ephemeral
     */
    public ServiceSet(Store store, List<AwsService> extra, Supplier<String> endpoint, Path dataDir) {
        CredentialRegistry credentials = new CredentialRegistry(store);
        Iam iam = new Iam(store, credentials);
        this.identities = credentials::identity;
        this.logs = new LogsService(store);
        logs.startRetentionSweep();
        this.cloudwatch = new CloudWatchService(store, targets);
        cloudwatch.start();
        this.lambda = new LambdaService(store, iam, logs, targets, endpoint, dataDir);
        lambda.publishMetricsTo(cloudwatch.metrics());
        targets.register("lambda", lambda::accept);
        addFrontDoor(lambda.functionUrls(identities));
        logs.publishMetricsTo(cloudwatch.metrics());
        logs.deliverSubscriptionsTo(targets);
        this.sns = new SnsService(store, targets, endpoint);
        sns.publishMetricsTo(cloudwatch.metrics());
        targets.register("sns", sns::accept);
        this.s3 = new S3Service(store, targets);
        s3.checkPresignedWith(credentials::secret);
        lambda.codeFromS3(s3::readObject);
        Streams ddbStreams = new Streams(store);
        this.dynamodb = new DynamoDbService(store, ddbStreams);
        dynamodb.startTtlSweep();
        this.sqs = new SqsService(store, endpoint);
        sqs.publishMetricsTo(cloudwatch.metrics());
        targets.register("sqs", sqs::accept);
        lambda.readQueues(sqs.messages());
        lambda.readStreams(ddbStreams, targets);
        for (AwsService s : List.<AwsService>of(new StsService(iam), new IamService(iam), logs, lambda, cloudwatch, sns, s3,
                dynamodb, ddbStreams, sqs)) operations.register(s);
        this.apigateway = new ApiGateway(store, operations, endpoint, logs, cloudwatch.metrics());
        apigateway.services().forEach(operations::register);
        addFrontDoor(apigateway);
        // After API Gateway's: S3's takes path-style preflights by the first path segment, which on an
        // execute-api host is a stage name that may also name a bucket.
        addFrontDoor(s3.frontDoor());
        for (AwsService s : extra) operations.register(s);
    }

    /** Lambda's regional concurrency limit, memory budget and environment idle time. */
    public void limitLambda(dev.nimbus.services.lambda.LambdaLimits limits) {
        lambda.limit(limits);
    }

    /** Plain HTTP endpoints of services under /_nimbus/ (a function's code download), or null when none matches. */
    public HttpResponse internal(String method, String path) {
        HttpResponse served = lambda.internal(method, path);
        return served != null ? served : sns.internal(method, path);
    }

    /** Adds a service's plain-HTTP entrance (function URLs, API Gateway invoke URLs ...). */
    public void addFrontDoor(FrontDoor door) {
        frontDoors.add(door);
    }

    /** WebSocket upgrade requests' entrance (API Gateway WebSocket APIs). */
    public WebSocketDoor webSockets() {
        return apigateway.webSockets();
    }

    /** The answer of the front door this request is for, or null when it is an AWS API call. */
    public HttpResponse frontDoor(HttpRequest request) {
        for (FrontDoor door : frontDoors) {
            HttpResponse out = door.serve(request);
            if (out != null) return out;
        }
        return null;
    }

    /** Starts services' background work that calls back into the server (Lambda's queued asynchronous events), once it listens. */
    public void start() {
        lambda.start();
        sns.start();
        s3.start();
    }

    /** Stops what services run (function environments, the alarm evaluator, the log retention sweep); the store is closed after this. */
    @Override
    public void close() {
        sns.close();
        lambda.close();
        s3.close();
        sqs.close();
        apigateway.close();
        cloudwatch.close();
        logs.close();
        dynamodb.close();
    }

    /** Delivery by ARN between services (destinations, notifications, subscriptions, alarm actions). */
    public Targets targets() {
        return targets;
    }

    public Operations operations() {
        return operations;
    }

    /** CloudWatch Logs, where other services (Lambda) write their logs. */
    public LogsService logs() {
        return logs;
    }

    /** S3 (tests drive its lifecycle sweep). */
    public S3Service s3() {
        return s3;
    }

    /** CloudWatch (tests drive its alarm evaluator). */
    public CloudWatchService cloudwatch() {
        return cloudwatch;
    }

    /** CloudWatch metrics, where services publish theirs (AWS/Lambda ...). */
    public Metrics metrics() {
        return cloudwatch.metrics();
    }

    /** Access key -> who it belongs to (IAM users' keys, STS sessions, else the key's account root). */
    public Function<String, Identity> identities() {
        return identities;
    }
}
