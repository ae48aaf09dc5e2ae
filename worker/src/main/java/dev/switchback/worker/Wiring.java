package dev.switchback.worker;

import dev.switchback.activities.DatabaseActivities;
import dev.switchback.activities.dts.DtsProvider;
import dev.switchback.activities.impl.DatabaseActivitiesImpl;
import dev.switchback.activities.impl.MigrationActivitiesImpl;
import dev.switchback.activities.impl.RouterActivitiesImpl;
import dev.switchback.activities.impl.VerificationActivitiesImpl;
import dev.switchback.activities.mongodb.MongoEngine;
import dev.switchback.activities.mysql.MySqlEngine;
import dev.switchback.activities.mysql.MySqlProvider;
import dev.switchback.activities.oracle.OracleEngine;
import dev.switchback.activities.postgres.PostgresEngine;
import dev.switchback.activities.postgres.PostgresProvider;
import dev.switchback.activities.redis.RedisEngine;
import dev.switchback.activities.redis.RedisProvider;
import dev.switchback.activities.router.ManualRouter;
import dev.switchback.activities.router.WebhookRouter;
import dev.switchback.activities.router.haproxy.HaproxyRouter;
import dev.switchback.activities.router.pgbouncer.PgBouncerRouter;
import dev.switchback.activities.spi.Registry;
import dev.switchback.activities.sqlserver.SqlServerEngine;
import dev.switchback.activities.support.Connections;
import dev.switchback.activities.support.Secrets;
import dev.switchback.worker.codec.EncryptionCodec;
import dev.switchback.worker.codec.PayloadKeys;
import dev.switchback.workflow.CutoverWorkflowImpl;
import io.temporal.common.converter.CodecDataConverter;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.GlobalDataConverter;
import io.temporal.worker.WorkerFactoryOptions;
import java.util.List;

/**
 * The one place that names the concrete workflow, activities, engines, providers and routers. The
 * worker and the CLI ({@code plan check}) build everything from here, so adding an engine is adding
 * its package and one {@code register} line below.
 */
public final class Wiring {
  private Wiring() {}

  /** Engines, providers and routers by the names plans use; secrets from this process' scope. */
  public static Registry registry() {
    return registry(new Secrets());
  }

  /** Engines, providers and routers by the names plans use, resolving {@code secrets}. */
  public static Registry registry(Secrets secrets) {
    RedisEngine redis = new RedisEngine();
    return new Registry()
        .engine(new PostgresEngine())
        .provider(new PostgresProvider())
        .engine(new MySqlEngine("mysql"))
        .engine(new MySqlEngine("mariadb"))
        .provider(new MySqlProvider("mysql"))
        .provider(new MySqlProvider("mariadb"))
        .engine(redis)
        .provider(new RedisProvider(redis))
        .provider(new DtsProvider())
        .engine(new SqlServerEngine())
        .engine(new OracleEngine())
        .engine(new MongoEngine())
        .router(new ManualRouter())
        .router(new WebhookRouter(secrets))
        .router(new HaproxyRouter())
        .router(new PgBouncerRouter(secrets));
  }

  /**
   * The worker factory's options: every activity runs under the heartbeat {@code ticker}, so a slow
   * step is not taken for a dead worker (invariant 8). The real worker, the embedded mode and the
   * end-to-end tests all build their factory from here.
   */
  public static WorkerFactoryOptions workerFactoryOptions(HeartbeatTicker ticker) {
    return WorkerFactoryOptions.newBuilder().setWorkerInterceptors(ticker).build();
  }

  /**
   * As {@link #workerFactoryOptions(HeartbeatTicker)}, and every activity failure leaves the worker
   * with the values {@code secrets} resolved redacted.
   */
  public static WorkerFactoryOptions workerFactoryOptions(HeartbeatTicker ticker, Secrets secrets) {
    return WorkerFactoryOptions.newBuilder()
        .setWorkerInterceptors(ticker, new FailureRedaction(secrets))
        .build();
  }

  /**
   * The data converter of every client the project builds (worker, CLI, demo): payloads encrypted
   * with {@code keys} (none: nothing is encrypted, and encrypted payloads fail with what to
   * configure). With keys, failure messages and stack traces are encrypted too: the SDK moves them
   * into the failure's encoded attributes, since activity failures quote hosts, accounts and SQL.
   */
  public static DataConverter dataConverter(PayloadKeys keys) {
    return new CodecDataConverter(
        GlobalDataConverter.get(), List.of(new EncryptionCodec(keys)), keys.enabled());
  }

  /** The workflow implementations the worker registers on task queue {@code switchback}. */
  public static List<Class<?>> workflowTypes() {
    return List.of(CutoverWorkflowImpl.class);
  }

  /** The activity implementation objects, sharing one registry and one set of pools. */
  public static List<Object> activities(Registry registry, Connections connections) {
    return List.of(
        new MigrationActivitiesImpl(registry, connections),
        new DatabaseActivitiesImpl(registry, connections),
        new RouterActivitiesImpl(registry),
        new VerificationActivitiesImpl(registry, connections));
  }

  /**
   * The database activities called in-process by {@code switchback plan check} for the read-only
   * preflight, outside any Temporal activity (so {@code preflight} must not need an activity
   * context).
   *
   * @throws IllegalStateException until the implementation is wired
   */
  public static DatabaseActivities databaseActivities(Registry registry, Connections connections) {
    return new DatabaseActivitiesImpl(registry, connections);
  }

  /** True once {@link #workflowTypes()} names the Cutover workflow. */
  public static boolean wired() {
    return !workflowTypes().isEmpty();
  }
}
