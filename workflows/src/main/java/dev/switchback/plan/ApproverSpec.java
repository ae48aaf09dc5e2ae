package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Arrays;
import java.util.List;

/**
 * Someone who may approve gates. A plan writes either a name ({@code approvers: [alice]}, only with
 * {@code approvals: unsigned}) or a name and the approver's Ed25519 public key, base64 of its X.509
 * SubjectPublicKeyInfo as {@code switchback keys generate} prints it ({@code approvers: [{name:
 * alice, publicKey: MCowBQYDK2VwAyEA...}]}). With a key, only a request signed with the matching
 * private key approves as that name.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApproverSpec(String name, String publicKey) {

  @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
  public ApproverSpec {}

  /** A plain name, as plans wrote approvers before keys (and still may, for labs). */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static ApproverSpec named(String name) {
    return new ApproverSpec(name, null);
  }

  /** Plain names, for labs and tests. */
  public static List<ApproverSpec> names(String... names) {
    return Arrays.stream(names).map(ApproverSpec::named).toList();
  }

  public boolean signs() {
    return publicKey != null;
  }
}
