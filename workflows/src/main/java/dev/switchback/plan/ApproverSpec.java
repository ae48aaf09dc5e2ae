package dev.switchback.plan;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
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
@JsonSerialize(using = ApproverSpec.Writer.class)
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

  /**
   * Writes an approver without a key as its name, as plans wrote approvers before keys: the plan's
   * JSON stays what the YAML says (clients such as interop/cutover.mjs read it).
   */
  static final class Writer extends StdSerializer<ApproverSpec> {
    Writer() {
      super(ApproverSpec.class);
    }

    @Override
    public void serialize(ApproverSpec a, JsonGenerator out, SerializerProvider provider)
        throws IOException {
      if (a.publicKey() == null) {
        out.writeString(a.name());
        return;
      }
      out.writeStartObject();
      out.writeStringField("name", a.name());
      out.writeStringField("publicKey", a.publicKey());
      out.writeEndObject();
    }
  }
}
