package dev.nimbus.services.lambda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nimbus.protocol.RequestContext;
import dev.nimbus.protocol.Values;
import dev.nimbus.store.Table;

/**
 * GetAccountSettings: AWS's code size limits, this server's regional concurrency limit, and what
 * the account uses in the region, counted from the stored functions, versions and layer versions.
 */
final class AccountSettings {
    /** AWS's limits: 75 GB of code per region, 250 MB unzipped and 50 MB zipped per package. */
    static final long TOTAL_CODE_SIZE = 80_530_636_800L;
    static final long CODE_SIZE_UNZIPPED = 262_144_000L;
    static final long CODE_SIZE_ZIPPED = 52_428_800L;

    private AccountSettings() {}

    static JsonNode get(LambdaService lambda, RequestContext ctx) {
        String prefix = ctx.accountId() + "/" + ctx.region() + "/";
        long functions = 0, codeSize = 0;
        for (Table.Entry e : lambda.functions().scan(prefix, null, Integer.MAX_VALUE)) {
            functions++;
            codeSize += e.json().path("Configuration").path("CodeSize").asLong();
        }
        // Published versions keep their own copy of the code; the numbering records carry no Configuration.
        for (Table.Entry e : lambda.store().table(Versions.TABLE).scan(prefix, null, Integer.MAX_VALUE)) {
            codeSize += e.json().path("Configuration").path("CodeSize").asLong();
        }
        for (Table.Entry e : lambda.store().table(Layers.TABLE).scan(prefix, null, Integer.MAX_VALUE)) {
            codeSize += e.json().path("Content").path("CodeSize").asLong();
        }
        ObjectNode out = Values.object();
        out.putObject("AccountLimit")
                .put("TotalCodeSize", TOTAL_CODE_SIZE)
                .put("CodeSizeUnzipped", CODE_SIZE_UNZIPPED)
                .put("CodeSizeZipped", CODE_SIZE_ZIPPED)
                .put("ConcurrentExecutions", lambda.concurrencyLimit())
                .put("UnreservedConcurrentExecutions", lambda.unreserved(ctx));
        out.putObject("AccountUsage").put("TotalCodeSize", codeSize).put("FunctionCount", functions);
        return out;
    }
}
