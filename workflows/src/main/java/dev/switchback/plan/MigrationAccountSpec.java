package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The dedicated account the migration instance writes with (the seed recommends one). Its sessions
 * are excluded from the session check, and its write privileges are revoked at finalize.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MigrationAccountSpec(String user, String password, Boolean revokeAtFinalize) {

  public boolean revoke() {
    return revokeAtFinalize == null || revokeAtFinalize;
  }
}
