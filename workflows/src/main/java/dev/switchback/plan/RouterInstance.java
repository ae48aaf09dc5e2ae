package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One proxy the router drives; a router with several treats them as one (all of them quiesced
 * before the fence, all of them pointed and resumed after).
 *
 * @param url how the worker reaches the proxy's admin interface: PgBouncer's admin console ({@code
 *     postgres://user@host:6432/pgbouncer}); HAProxy's runtime API ({@code tcp://host:9999} or
 *     {@code unix:///run/haproxy/admin.sock})
 * @param databasesFile PgBouncer only: the file on the worker's file system that holds this
 *     PgBouncer's {@code [databases]} entry for {@code router.database} (pgbouncer.ini itself or a
 *     file it {@code %include}s); the router rewrites that entry's host, port and dbname and asks
 *     PgBouncer to {@code RELOAD}
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RouterInstance(String url, String databasesFile) {}
