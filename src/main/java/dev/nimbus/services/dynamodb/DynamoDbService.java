package dev.nimbus.services.dynamodb;

import dev.nimbus.protocol.Values;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import dev.nimbus.services.AwsService;
import dev.nimbus.services.Operations;
import dev.nimbus.store.Store;

/**
 * DynamoDB (dynamodb 2012-08-10, awsJson 1.0): tables with secondary indexes, items with the
 * expression language, queries and scans over order-preserving store keys, batches and
 * transactions.
 */
public final class DynamoDbService implements AwsService {
    private static final Logger LOG = Logger.getLogger(DynamoDbService.class.getName());
    private final Tables tables;
    private final Items items;
    private final Queries queries;
    private final Batches batches;
    private final TimeToLive ttl;
    private final PartiQL partiql;
    /** the TTL sweep, while running */
    private ScheduledExecutorService timer;

    private final Streams streams;
    private final Store store;

    public DynamoDbService(Store store, Streams streams) {
        this.store = store;
        this.streams = streams;
        this.tables = new Tables(store, streams);
        this.items = new Items(store, tables, streams);
        this.queries = new Queries(items, tables);
        this.batches = new Batches(items, tables);
        this.ttl = new TimeToLive(tables, items);
        this.partiql = new PartiQL(items, tables, batches);
    }

    /** Starts deleting expired items (time to live), and stream records past their 24 hours, in the background. */
    public synchronized void startTtlSweep() {
        if (timer != null) return;
        // How often expired items are looked for (DynamoDB itself takes up to a few days); tests shorten it.
        long period = Long.getLong("nimbus.dynamodb.ttlSweepSeconds", 60);
        timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("dynamodb-ttl").factory());
        timer.scheduleWithFixedDelay(() -> {
            try {
                long n = ttl.sweep();
                if (n > 0) LOG.fine(() -> "TTL sweep deleted " + n + " items");
                long r = streams.trim(store, java.time.Instant.now());
                if (r > 0) LOG.fine(() -> "dropped " + r + " stream records older than 24 hours");
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "DynamoDB TTL sweep failed; it runs again at the next period", e);
            }
        }, period, period, TimeUnit.SECONDS);
    }

    /** Stops the TTL sweep; called before the store closes. */
    public synchronized void close() {
        if (timer != null) timer.shutdownNow();
        timer = null;
    }

    @Override
    public String modelName() {
        return "dynamodb";
    }

    @Override
    public void register(Operations ops) {
        ops.add("CreateTable", tables::create)
                .add("DescribeTable", tables::describe)
                .add("ListTables", tables::list)
                .add("DeleteTable", tables::delete)
                .add("UpdateTable", (ctx, in) -> tables.update(ctx, in, items))
                .add("TagResource", tables::tag)
                .add("UntagResource", tables::untag)
                .add("ListTagsOfResource", tables::listTags)
                .add("UpdateTimeToLive", tables::updateTtl)
                .add("DescribeTimeToLive", tables::describeTtl)
                .add("PutItem", items::putItem)
                .add("GetItem", items::getItem)
                .add("UpdateItem", items::updateItem)
                .add("DeleteItem", items::deleteItem)
                .add("Query", queries::query)
                .add("Scan", queries::scan)
                .add("BatchGetItem", batches::batchGet)
                .add("BatchWriteItem", batches::batchWrite)
                .add("TransactGetItems", batches::transactGet)
                .add("TransactWriteItems", batches::transactWrite)
                .add("ExecuteStatement", partiql::executeStatement)
                .add("BatchExecuteStatement", partiql::batchExecute)
                .add("ExecuteTransaction", partiql::executeTransaction)
                .add("DescribeLimits", (ctx, in) -> Values.object().put("AccountMaxReadCapacityUnits", 80000).put("AccountMaxWriteCapacityUnits", 80000)
                        .put("TableMaxReadCapacityUnits", 40000).put("TableMaxWriteCapacityUnits", 40000))
                .add("DescribeEndpoints", (ctx, in) -> Values.object().set("Endpoints", Values.array()
                        .add(Values.object().put("Address", "dynamodb." + ctx.region() + ".amazonaws.com").put("CachePeriodInMinutes", 1440))))
                .add("DescribeContinuousBackups", (ctx, in) -> {
                    tables.get(ctx, Values.text(in, "TableName"));
                    // Nimbus keeps no point-in-time history: backups are on, recovery is not, which is what a new table in AWS reports too.
                    return Values.object().set("ContinuousBackupsDescription", Values.object().put("ContinuousBackupsStatus", "ENABLED")
                            .set("PointInTimeRecoveryDescription", Values.object().put("PointInTimeRecoveryStatus", "DISABLED")));
                });
    }
}
